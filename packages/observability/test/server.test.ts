// The metrics endpoint on its own: GET /metrics in the text format, nothing else served, and a
// port already taken costs the process its endpoint, never its life.
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type MetricsServer, registry, sourcedGauge, startMetricsServer } from '../src/index.ts';

type Line = { level: 'info' | 'error'; obj: object; msg: string };
const logger = (lines: Line[]) => ({
  info: (obj: object, msg: string) => lines.push({ level: 'info', obj, msg }),
  error: (obj: object, msg: string) => lines.push({ level: 'error', obj, msg }),
});

const started: MetricsServer[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((server) => server.close()));
});

describe('startMetricsServer', () => {
  it('serves GET /metrics in the Prometheus text format on the host and port asked, and 404 for anything else', async () => {
    const lines: Line[] = [];
    const server = (await startMetricsServer({ host: '127.0.0.1', port: 0 }, logger(lines)))!;
    started.push(server);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(lines).toEqual([{ level: 'info', obj: { url: server.url }, msg: 'metrics endpoint listening' }]);
    const res = await fetch(server.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(registry.contentType);
    const text = await res.text();
    expect(text).toContain('# TYPE pa_http_request_duration_seconds histogram');
    expect(text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
    expect(text).not.toContain('nodejs_active_handles_total');
    expect((await fetch(server.url.replace('/metrics', '/'))).status).toBe(404);
    expect((await fetch(server.url, { method: 'POST' })).status).toBe(404);
  });

  it('logs one line and resolves undefined when the port is taken: the process goes on without metrics', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as AddressInfo;
    const lines: Line[] = [];
    try {
      expect(await startMetricsServer({ host: '127.0.0.1', port }, logger(lines))).toBeUndefined();
    } finally {
      holder.close();
    }
    expect(lines).toEqual([
      { level: 'error', obj: expect.objectContaining({ port, err: expect.stringContaining('EADDRINUSE') }), msg: expect.any(String) },
    ]);
  });
});

describe('sourcedGauge', () => {
  it('adds up its readers at scrape time, leaves out one that fails, and forgets a removed one', async () => {
    const { gauge, add } = sourcedGauge<'part'>({ name: 'pa_test_parts', help: 'test', labelNames: ['part'] });
    const removeFirst = add((g) => g.inc({ part: 'a' }, 2));
    add((g) => g.inc({ part: 'a' }, 3));
    add(async () => {
      throw new Error('down');
    });
    expect((await gauge.get()).values).toEqual([{ labels: { part: 'a' }, value: 5 }]);
    removeFirst();
    expect((await gauge.get()).values).toEqual([{ labels: { part: 'a' }, value: 3 }]);
    registry.removeSingleMetric('pa_test_parts');
  });
});
