// The full API (apps/api buildApp: request id, CORS, REST over tRPC, Prisma) in its own process.
import { buildApp } from '@personal-automations/api';
import { childSettings, runServer, serve } from '../lib/child.ts';

runServer(async () => {
  const settings = childSettings();
  const app = await buildApp({ settings, logger: false });
  await serve(app);
});
