// A webhook receiver on 127.0.0.1 for the delivery tests (the API's and the worker process's):
// it records every request and answers as the test says, or holds the answer back.
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ReceivedRequest = { method: string; path: string; headers: IncomingHttpHeaders; body: string };
export type Reply = { status: number; body?: string } | 'hang';

export type Receiver = {
  url: string;
  requests: ReceivedRequest[];
  /** How to answer the n-th request (0-based); 200 "ok" by default. A promise holds the answer back. */
  reply: (n: number, request: ReceivedRequest) => Reply | Promise<Reply>;
  close(): Promise<void>;
};

export async function startReceiver(reply: Receiver['reply'] = () => ({ status: 200, body: 'ok' })): Promise<Receiver> {
  const receiver = { requests: [] as ReceivedRequest[], reply } as Receiver;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const request = { method: req.method!, path: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      const pending = receiver.reply(receiver.requests.length, request);
      receiver.requests.push(request);
      const answer = await pending;
      if (answer === 'hang') return;
      res.writeHead(answer.status, { 'content-type': 'text/plain' }).end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  receiver.close = () => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  };
  return receiver;
}
