// server run: the real API in a child process, stopped by SIGTERM; --reload restarts it on a
// source change.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '@personal-automations/testing';
import { collect, expectOneLine, REPO_ROOT, runCli, startCli, waitForOutput } from './helpers.ts';

const db = useTestDatabase();

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Polls the health route until the server answers 200. */
async function waitHealthy(port: number, timeoutMs = 30_000): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/api/v1/health`);
      if (response.status === 200) return response.json();
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`server on ${port} never became healthy`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('server run', () => {
  it('serves the API on --host/--port and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const server = startCli(['server', 'run', '--host', '127.0.0.1', '--port', String(port)], { databaseUrl: db.url });
    const finished = collect(server);
    expect(await waitHealthy(port)).toEqual({ status: 'healthy' });

    // a second server on the same port: one clear line, not a stack trace
    const clash = await runCli(['server', 'run', '--host', '127.0.0.1', '--port', String(port)], { databaseUrl: db.url });
    expect(clash.code).toBe(1);
    expect(expectOneLine(clash.stderr)).toBe(`Error: port ${port} on 127.0.0.1 is already in use`);

    server.kill('SIGTERM');
    expect((await finished).code).toBe(0);
  });

  it('--reload restarts the server when a source file changes', async () => {
    const port = await freePort();
    const server = startCli(['server', 'run', '--reload', '--host', '127.0.0.1', '--port', String(port)], { databaseUrl: db.url });
    const finished = collect(server);
    await waitHealthy(port);
    const restarted = waitForOutput(server, /Restarting/);
    // a change without changing anything: only the modification time moves
    const main = path.join(REPO_ROOT, 'apps', 'api', 'src', 'main.ts');
    const now = new Date();
    fs.utimesSync(main, now, now);
    await restarted;
    expect(await waitHealthy(port)).toEqual({ status: 'healthy' });
    server.kill('SIGTERM');
    expect((await finished).code).toBe(0);
  });

  it('refuses a port out of range as a usage error', async () => {
    const result = await runCli(['server', 'run', '--port', '70000']);
    expect(result.code).toBe(2);
    expect(expectOneLine(result.stderr)).toMatch(/--port/);
  });
});
