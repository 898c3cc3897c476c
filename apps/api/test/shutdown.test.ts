// SIGTERM stops accepting connections, lets in-flight requests finish, closes pools, exits 0.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '@personal-automations/testing';
import { freePort } from './helpers.ts';

const db = useTestDatabase();
const mainFile = fileURLToPath(new URL('../src/main.ts', import.meta.url));

let silentRedis: net.Server;
beforeAll(async () => {
  // Accepts connections and never answers, so a readiness check stays in flight for a while.
  silentRedis = net.createServer(() => {});
  await new Promise<void>((resolve) => silentRedis.listen(0, '127.0.0.1', resolve));
});
afterAll(() => {
  silentRedis.close();
});

describe('graceful shutdown', () => {
  it('finishes an in-flight request after SIGTERM, then exits 0', async () => {
    const port = await freePort();
    const redisPort = (silentRedis.address() as net.AddressInfo).port;
    const child = spawn(process.execPath, [mainFile], {
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        REDIS_URL: `redis://127.0.0.1:${redisPort}/0`,
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));

    await expect.poll(() => output, { timeout: 30_000, interval: 100 }).toContain('API (');
    const inFlight = fetch(`http://127.0.0.1:${port}/api/v1/ready`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.kill('SIGTERM');

    const res = await inFlight;
    expect(res.status).toBe(503);
    expect((await res.json()).checks.redis.status).toBe('unhealthy');
    const exitCode = await exited;
    if (exitCode !== 0) console.log(output);
    expect(exitCode).toBe(0);
    expect(output).toContain('shutting down');
    await expect(fetch(`http://127.0.0.1:${port}/api/v1/health`)).rejects.toThrow();
  });

  it('refuses to start with bad settings, naming every bad variable', async () => {
    const child = spawn(process.execPath, [mainFile], {
      env: { ...process.env, PORT: 'x', ENVIRONMENT: 'nowhere', SECRET_KEY: 'short' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(/Invalid settings/);
    for (const name of ['PORT', 'ENVIRONMENT', 'SECRET_KEY']) expect(stderr).toContain(name);
    expect(stderr).not.toMatch(/\n\s+at /); // one message, no stack trace
  });
});
