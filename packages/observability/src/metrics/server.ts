// The metrics endpoint: GET /metrics in Prometheus' text format, on METRICS_HOST:METRICS_PORT, a
// listener of its own so it is never on the public router (it tells an outsider the routes, the
// traffic and the queues). Anything else there is 404.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { metricsContentType, metricsText } from './registry.ts';

export type MetricsServerOptions = { host: string; port: number };
/** Where it listens (the port chosen when METRICS_PORT is 0), and how to stop it. */
export type MetricsServer = { url: string; close(): Promise<void> };
/** The part of a pino logger it writes to. */
export type MetricsLogger = { info(obj: object, msg: string): void; error(obj: object, msg: string): void };

function serve(server: Server): void {
  server.on('request', (req, res) => {
    const path = req.url?.split('?', 1)[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
      return;
    }
    metricsText().then(
      (text) => res.writeHead(200, { 'content-type': metricsContentType }).end(text),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics collection failed'),
    );
  });
}

/**
 * Starts the endpoint. A port that cannot be had (another process of this project on the same
 * host with the same METRICS_PORT) is logged and the process goes on without metrics: losing the
 * endpoint must not take the API or a worker down. Resolves to undefined then.
 */
export async function startMetricsServer({ host, port }: MetricsServerOptions, log: MetricsLogger): Promise<MetricsServer | undefined> {
  const server = createServer();
  serve(server);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, resolve);
    });
  } catch (error) {
    log.error({ err: (error as Error).message, host, port }, 'metrics endpoint could not listen; running without it');
    return undefined;
  }
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}/metrics`;
  log.info({ url }, 'metrics endpoint listening');
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
