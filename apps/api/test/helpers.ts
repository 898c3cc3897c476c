import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import { loadSettings, type Settings } from '@personal-automations/config';
import { useTestDatabase } from '@personal-automations/testing';
import { buildApp } from '../src/app.ts';

export type TestApp = { app: FastifyInstance; baseUrl: string; settings: Settings; databaseUrl: string };

/** Builds settings for a test: the real environment, this file's database, quiet logs. */
export function testSettings(databaseUrl: string, overrides: Record<string, string> = {}): Settings {
  return loadSettings({ ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent', ...overrides });
}

/** The API on its own migrated database, listening on 127.0.0.1 (inject works too). */
export function useTestApp(overrides: Record<string, string> = {}): TestApp {
  const db = useTestDatabase();
  const handle = {} as TestApp;
  beforeAll(async () => {
    handle.databaseUrl = db.url;
    handle.settings = testSettings(db.url, overrides);
    handle.app = await buildApp({ settings: handle.settings });
    await handle.app.listen({ host: '127.0.0.1', port: 0 });
    handle.baseUrl = `http://127.0.0.1:${(handle.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await handle.app?.close();
  });
  return handle;
}

export const json = { 'content-type': 'application/json' };
