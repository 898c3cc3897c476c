// Secrets never reach the log: with every line written (LOG_LEVEL=trace), a registration, a
// login, authenticated requests (bearer header and cookie), a refresh and a webhook secret's
// regeneration leave no password, token or secret in the output.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { testSettings, useTestApp } from './helpers.ts';

const t = useTestApp();

describe('the log', () => {
  it('holds no password, token, cookie or webhook secret, even at trace level', async () => {
    let output = '';
    const stream = new Writable({
      write: (chunk, _encoding, done) => {
        output += String(chunk);
        done();
      },
    });
    const app = await buildApp({ settings: testSettings(t.databaseUrl), logger: { level: 'trace', stream } });
    try {
      const password = 'a password that must not be logged';
      const email = `logged-${Date.now()}@example.com`;
      expect((await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email, password } })).statusCode).toBe(201);
      const login = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ username: email, password }).toString(),
      });
      const { access_token, refresh_token } = login.json();
      const auth = { authorization: `Bearer ${access_token}` };
      expect(
        (await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie: `access_token=${access_token}` } })).statusCode,
      ).toBe(401);
      const hook = await app.inject({
        method: 'POST',
        url: '/api/v1/webhooks',
        headers: auth,
        payload: { name: 'h', url: 'https://example.com/h', events: ['item.created'] },
      });
      const secret = (
        await app.inject({ method: 'POST', url: `/api/v1/webhooks/${hook.json().id}/regenerate-secret`, headers: auth })
      ).json().secret;
      const refreshed = (await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token } })).json();
      await app.inject({ method: 'GET', url: '/api/v1/items', headers: { authorization: `Bearer ${refreshed.access_token}` } });

      expect(output).toContain('request completed'); // the requests were logged
      // an authenticated request's line names its user by id, never by email
      const userId = login.json() && (await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: auth })).json().id;
      const lines = output.split('\n').filter((line) => line.includes('"request completed"') && line.includes('/api/v1/auth/me'));
      expect(lines.some((line) => JSON.parse(line).userId === userId)).toBe(true);
      expect(output).not.toContain(email);
      for (const value of [password, access_token, refresh_token, secret, refreshed.access_token, refreshed.refresh_token]) {
        expect(typeof value === 'string' && value.length > 8, 'a value to look for').toBe(true);
        expect(output).not.toContain(value);
      }
    } finally {
      await app.close();
    }
  });
});
