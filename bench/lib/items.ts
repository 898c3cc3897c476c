// The items-list fixture: 1,000 seeded items, a logged-in bench user, and the check that every
// target answers the same page (a comparison of different answers is meaningless).
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import pg from 'pg';
import type { Server } from './servers.ts';

export const ITEMS_ROWS = 1000;
export const ITEMS_PATH = '/items?page=1&size=20';
const PAGE_SIZE = 20;

/**
 * Inserts ITEMS_ROWS items in one statement. Ids and timestamps derive from the row number
 * (created_at one second apart, whole seconds), so that two databases seeded apart hold the same
 * rows and their pages can be compared.
 */
export async function seedItems(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO items (id, title, description, is_active, created_at)
       SELECT md5('bench item ' || i)::uuid, 'Item ' || i, 'Description of item ' || i, i % 10 <> 0,
              timestamptz '2025-01-01 00:00:00+00' + i * interval '1 second'
       FROM generate_series(1, $1::int) AS i`,
      [ITEMS_ROWS],
    );
    await client.query('ANALYZE items');
  } finally {
    await client.end();
  }
}

/** Registers a bench user through the API's REST routes and logs it in; returns `Bearer <token>`. */
export async function login(server: Server, apiPrefix: string, email = 'bench@example.com'): Promise<string> {
  const password = `bench-${randomBytes(8).toString('hex')}`;
  const registered = await fetch(`${server.url}${apiPrefix}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, full_name: 'Bench' }),
  });
  if (registered.status !== 201) throw new Error(`${server.name}: register answered ${registered.status}: ${await registered.text()}`);
  const loggedIn = await fetch(`${server.url}${apiPrefix}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: email, password }).toString(),
  });
  if (loggedIn.status !== 200) throw new Error(`${server.name}: login answered ${loggedIn.status}: ${await loggedIn.text()}`);
  const { access_token } = (await loggedIn.json()) as { access_token: string };
  return `Bearer ${access_token}`;
}

/** A target of the parity check: the token it is asked with, and whether it must refuse a forged one. */
export type ParityTarget = { server: Server; authorization: string; checksLogin: boolean };

/**
 * Every target must answer GET ITEMS_PATH with 200 and the same JSON as the first one (20 of
 * ITEMS_ROWS items), and the targets that check the login must refuse a forged token with 401.
 */
export async function checkItemsParity(targets: ParityTarget[], apiPrefix: string): Promise<void> {
  const url = (server: Server) => `${server.url}${apiPrefix}${ITEMS_PATH}`;
  const bodies: Array<{ name: string; body: unknown }> = [];
  for (const { server, authorization } of targets) {
    const response = await fetch(url(server), { headers: { authorization } });
    if (response.status !== 200) throw new Error(`${server.name}: GET ${ITEMS_PATH} answered ${response.status}: ${await response.text()}`);
    bodies.push({ name: server.name, body: await response.json() });
  }
  const reference = bodies[0]!;
  const page = reference.body as { items: unknown[]; total: number };
  if (page.total !== ITEMS_ROWS || page.items.length !== PAGE_SIZE) {
    throw new Error(`${reference.name}: expected ${PAGE_SIZE} of ${ITEMS_ROWS} items, got ${page.items.length} of ${page.total}`);
  }
  for (const { name, body } of bodies) {
    if (!isDeepStrictEqual(body, reference.body)) {
      throw new Error(
        `${name}: body differs from the ${reference.name}'s:\n${JSON.stringify(body).slice(0, 600)}\nvs\n${JSON.stringify(reference.body).slice(0, 600)}`,
      );
    }
  }
  for (const { server, authorization } of targets.filter((t) => t.checksLogin)) {
    const [head, claims] = authorization.slice('Bearer '.length).split('.');
    const response = await fetch(url(server), { headers: { authorization: `Bearer ${head}.${claims}.forged` } });
    await response.arrayBuffer();
    if (response.status !== 401) throw new Error(`${server.name}: a forged token got ${response.status}, not 401`);
  }
}
