// `node apps/api/src/print-routes.ts`: prints the route table (route-table.ts) as JSON on stdout.
// The CLI's `server routes` runs this rather than importing the API: apps are leaves, and the
// listing stays the API's own, built from the same code that serves the routes.
import { getSettings, SettingsError } from '@personal-automations/config';
import { listRoutes } from './route-table.ts';

try {
  process.stdout.write(`${JSON.stringify(await listRoutes(getSettings()))}\n`);
} catch (error) {
  // settings errors are one message listing every problem; anything else is a bug worth its stack
  console.error(error instanceof SettingsError ? error.message : error);
  process.exitCode = 1;
}
