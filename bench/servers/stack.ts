// The full API (apps/api buildApp: request id, CORS, REST over tRPC, Prisma) in its own process,
// logging as deployed: pino at LOG_LEVEL (the benchmark sets it) to stdout, which the parent
// discards, so the figures include writing one line per request.
import { buildApp } from '@personal-automations/api';
import { loadSettings } from '@personal-automations/config';
import { runServer, serve } from '../lib/child.ts';

runServer(async () => {
  const app = await buildApp({ settings: loadSettings(process.env) });
  await serve(app);
});
