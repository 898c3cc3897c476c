// The route table of `server routes` is the API's own listing (apps/api/src/route-table.ts): the
// API program prints it as JSON, built from a server that is never started and connects nowhere,
// so it lists what the server really serves without the CLI importing the API.
import { type RouteEntry, RouteTable } from '@personal-automations/contracts';
import { runApiEntry } from './api.ts';
import { CliError, lastLine } from './errors.ts';

export type Route = RouteEntry;

/** The HTTP routes (REST named after their procedures), the tRPC procedures and the WebSocket, as the API lists them. */
export async function listRoutes(): Promise<Route[]> {
  const { code, stdout, stderr } = await runApiEntry('print-routes.ts');
  if (code !== 0) throw new CliError(`Error: the API could not list its routes: ${lastLine(stderr) || `exit code ${code}`}`);
  return RouteTable.parse(JSON.parse(stdout));
}
