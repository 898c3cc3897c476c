// scratch: profile the stack under load (not committed)
import { getSettings } from '@personal-automations/config';
import { benchDatabase } from './lib/database.ts';
import { ITEMS_PATH, login, seedItems } from './lib/items.ts';
import { load } from './lib/load.ts';
import { apiChildEnv, startServer, stopChild } from './lib/servers.ts';

const settings = getSettings();
const database = benchDatabase(settings.databaseUrl);
await database.create();
await seedItems(database.url);
const env = {
  ...process.env,
  DATABASE_URL: database.url,
  REDIS_URL: settings.redisUrl,
  ...apiChildEnv(settings, 5),
  NODE_OPTIONS: process.env.PROF ? `--cpu-prof --cpu-prof-dir=/tmp/prof/out --cpu-prof-interval=200` : '',
};
const server = await startServer(
  'stack',
  { script: 'servers/stack.ts', env: { RATE_LIMIT_REQUESTS: '1000000000', LOG_LEVEL: 'info' } },
  env,
);
const authorization = await login(server, settings.API_V1_STR);
await load(server, 3, { path: `${settings.API_V1_STR}${ITEMS_PATH}`, connections: 50, authorization });
const r = await load(server, Number(process.env.SECS ?? 10), {
  path: `${settings.API_V1_STR}${ITEMS_PATH}`,
  connections: 50,
  authorization,
});
console.log(`rps ${r.rps.toFixed(0)} cpu ${r.cpuPerRequest.toFixed(0)} µs p99 ${r.p99}`);
await stopChild(server.child);
await database.drop();
process.exit(0);
