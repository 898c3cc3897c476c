import net, { type AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import { loadSettings, readEnvFile, SERVER_VARIABLES, type Settings } from '@personal-automations/config';
import type { Database } from '@personal-automations/db';
import { copyTemplateDataDir, isEmbeddedTestMode, useTestDatabase } from '@personal-automations/testing';
import { buildApp } from '../src/app.ts';

export type TestApp = { app: FastifyInstance; baseUrl: string; settings: Settings; databaseUrl: string; db: Database };

/**
 * The suite runs in two modes (TEST_MODE): on the real PostgreSQL and Redis (default), and
 * embedded (`TEST_MODE=embedded`: PGlite, no Redis). Tests of a part only one mode has say so.
 */
export const embedded = isEmbeddedTestMode();
export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379/0';

/** Every server variable blank (blank counts as unset), so the settings pick the embedded parts. */
export const NO_SERVERS: Record<string, string> = Object.fromEntries(SERVER_VARIABLES.map((name) => [name, '']));

/** A TCP port that was free a moment ago, for a process the test starts. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Builds settings for a test: the real environment, this file's database, quiet logs, and no rate
 * limiting (tests log in many times; rate-limit.test.ts turns it on). In embedded mode every call
 * without an EMBEDDED_DATA_DIR gets its own copy of the migrated data directory (one process per
 * data directory), so an app built from these settings starts with no rows.
 */
export function testSettings(databaseUrl: string, overrides: Record<string, string> = {}): Settings {
  const parts = embedded
    ? { ...NO_SERVERS, EMBEDDED_DATA_DIR: overrides.EMBEDDED_DATA_DIR ?? copyTemplateDataDir() }
    : { DATABASE_URL: databaseUrl, REDIS_URL };
  return loadSettings({ ...readEnvFile(), ...process.env, ...parts, LOG_LEVEL: 'silent', RATE_LIMIT_ENABLED: 'false', ...overrides });
}

/** The API on its own migrated database, listening on 127.0.0.1 (inject works too). `db` is the app's own client. */
export function useTestApp(overrides: Record<string, string> = {}): TestApp {
  const database = useTestDatabase();
  const handle = {} as TestApp;
  beforeAll(async () => {
    handle.databaseUrl = database.url;
    // embedded: the file's own data dir (useTestDatabase copied it)
    handle.settings = testSettings(database.url, embedded ? { EMBEDDED_DATA_DIR: database.dataDir, ...overrides } : overrides);
    handle.app = await buildApp({ settings: handle.settings });
    handle.db = handle.app.platform.db;
    await handle.app.listen({ host: '127.0.0.1', port: 0 });
    handle.baseUrl = `http://127.0.0.1:${(handle.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await handle.app?.close();
  });
  return handle;
}

export type SignedUp = {
  id: string;
  email: string;
  password: string;
  access_token: string;
  refresh_token: string;
  /** `{ authorization: 'Bearer …' }` */
  auth: Record<string, string>;
};

let userCounter = 0;

/** Registers a fresh user through the API and logs in; `role: 'admin'` promotes it in the database first. */
export async function signUp(t: TestApp, options: { role?: 'admin' | 'user'; headers?: Record<string, string> } = {}): Promise<SignedUp> {
  const email = `user${++userCounter}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const password = 'correct horse battery';
  const registered = await t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: { email, password, full_name: 'Test User' },
  });
  if (registered.statusCode !== 201) throw new Error(`register failed: ${registered.statusCode} ${registered.body}`);
  const id = registered.json().id as string;
  if (options.role === 'admin') await t.db.user.update({ where: { id }, data: { role: 'admin' } });
  const tokens = await login(t, email, password, options.headers);
  return { id, email, password, ...tokens, auth: { authorization: `Bearer ${tokens.access_token}` } };
}

export async function login(t: TestApp, username: string, password: string, headers: Record<string, string> = {}) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: new URLSearchParams({ username, password }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  });
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
  return res.json() as { access_token: string; refresh_token: string; token_type: string };
}

export const json = { 'content-type': 'application/json' };
