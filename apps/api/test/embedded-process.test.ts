// The API process with no PostgreSQL or Redis configured: it starts on the embedded parts and says
// so loudly, refuses a second process on the same data directory, and on SIGTERM closes the data
// directory cleanly (no lock left, the rows there on the next open).
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createPrismaClient, openEmbeddedDatabase } from '@personal-automations/db';
import { freePort, NO_SERVERS } from './helpers.ts';

const mainFile = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pa-test-api-embedded-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const embeddedEnv = (port: number) => ({
  ...process.env,
  ...NO_SERVERS,
  EMBEDDED_DATA_DIR: dataDir,
  HOST: '127.0.0.1',
  PORT: String(port),
  LOG_LEVEL: 'info',
});

type Started = { child: ChildProcess; output: () => string; exited: Promise<number | null> };
function start(port: number): Started {
  const child = spawn(process.execPath, [mainFile], { env: embeddedEnv(port), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  return { child, output: () => output, exited: new Promise((resolve) => child.on('exit', resolve)) };
}

describe('the API on the embedded parts', { timeout: 120_000 }, () => {
  it('starts with no servers configured, refuses a second process, and closes the data directory on SIGTERM', async () => {
    const port = await freePort();
    const api = start(port);
    await expect.poll(api.output, { timeout: 60_000, interval: 100 }).toContain('API (');
    expect(api.output()).toContain('EMBEDDED MODE');
    expect(api.output()).toMatch(/ONE process only/);
    // the process runs the scheduler's periodic jobs itself, from the database's jobs table
    await expect.poll(api.output, { timeout: 30_000, interval: 100 }).toContain('expired and old inactive sessions removed');
    await expect.poll(api.output, { timeout: 30_000, interval: 100 }).toContain('old delivery log rows removed');

    const base = `http://127.0.0.1:${port}/api/v1`;
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    expect((await ready.json()).checks).toEqual({
      database: { status: 'healthy', latency_ms: expect.any(Number), type: 'pglite' },
      job_queue: { status: 'healthy', latency_ms: expect.any(Number), type: 'postgresql' },
      rate_limit: { status: 'healthy', latency_ms: expect.any(Number), type: 'memory' },
    });
    const registered = await fetch(`${base}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'kept@example.com', password: 'correct horse battery' }),
    });
    expect(registered.status).toBe(201);

    // a second process on the same data directory: one clear line, exit 1, the first one unharmed
    const second = start(await freePort());
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(`The embedded database in ${dataDir} is in use by process ${api.child.pid}`);
    expect(second.output()).not.toMatch(/\n\s+at /);
    expect((await fetch(`${base}/health`)).status).toBe(200);

    api.child.kill('SIGTERM');
    const code = await api.exited;
    if (code !== 0) console.log(api.output());
    expect(code).toBe(0);
    expect(fs.readdirSync(dataDir)).not.toContain('embedded.lock');

    const reopened = await openEmbeddedDatabase({ dataDir });
    const db = createPrismaClient({ url: reopened.url, maxConnections: 1 });
    try {
      expect(reopened.appliedMigrations).toEqual([]);
      expect(await db.user.count({ where: { email: 'kept@example.com' } })).toBe(1);
    } finally {
      await db.$disconnect();
      await reopened.close();
    }
  });
});
