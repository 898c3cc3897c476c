// The webhook receiver of the benchmarks (webhooks.ts, soak.ts): an HTTP server on 127.0.0.1 that
// answers 200 and records, per event (by its data.title), when it first arrived and how often.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Receipt = { at: number; count: number };

export type Receiver = {
  /** Receipts by the event's data.title. */
  received: Map<string, Receipt>;
  /** Starts listening; resolves with the URL to subscribe. */
  listen(): Promise<string>;
  close(): void;
};

export function createReceiver(): Receiver {
  const received = new Map<string, Receipt>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const at = performance.timeOrigin + performance.now();
      const key = String(JSON.parse(Buffer.concat(chunks).toString('utf8')).data.title);
      const seen = received.get(key);
      received.set(key, { at: seen?.at ?? at, count: (seen?.count ?? 0) + 1 });
      res.writeHead(200).end('ok');
    });
  });
  return {
    received,
    async listen() {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    },
    close: () => void server.close(),
  };
}
