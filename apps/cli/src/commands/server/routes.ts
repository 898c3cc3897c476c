import { BaseCommand } from '../../lib/base.ts';
import { formatTable } from '../../lib/output.ts';
import { listRoutes, type Route } from '../../lib/routes.ts';

const COLUMNS = [{ key: 'method' }, { key: 'path' }, { key: 'name' }] as const;

export default class ServerRoutes extends BaseCommand {
  static override summary = 'List every route: REST, tRPC procedures and the WebSocket';
  static override description =
    'Asks the API for its route table (it builds the server without starting it or connecting anywhere) and lists what it serves: the REST routes with the procedure behind each, the other HTTP routes, the tRPC procedures (at /trpc/<name>) and the WebSocket.';
  static override enableJsonFlag = true;

  async run(): Promise<Route[]> {
    await this.parse(ServerRoutes);
    this.settings(); // invalid settings are reported here, as by every command, before the API is run
    const routes = await listRoutes();
    const sections: [string, Route[]][] = [
      ['HTTP routes', routes.filter((r) => r.kind === 'rest' || r.kind === 'http')],
      ['tRPC procedures', routes.filter((r) => r.kind === 'trpc')],
      ['WebSocket', routes.filter((r) => r.kind === 'websocket')],
    ];
    this.log(
      sections
        .filter(([, rows]) => rows.length)
        .map(([title, rows]) => `${title} (${rows.length})\n${formatTable(rows, [...COLUMNS])}`)
        .join('\n\n'),
    );
    return routes;
  }
}
