// The baseline: a bare Fastify route over a pg Pool that runs the same SQL as the API's items
// list and answers the same JSON body. `--tx` wraps the two queries in BEGIN/COMMIT (a
// diagnostic: what a transaction costs). `--auth` also does the per-request work of the API's
// login check: verify the HS256 access token, then read its session and its user by id (the
// same two SELECTs the API's session validation issues) and refuse inactive or expired ones.
import { createHmac, timingSafeEqual } from 'node:crypto';
import Fastify from 'fastify';
import pg from 'pg';
import { childSettings, runServer, serve } from '../lib/child.ts';

type ItemRow = {
  id: string;
  title: string;
  description: string | null;
  is_active: boolean;
  created_at: Date;
  updated_at: Date | null;
};

const SESSION_SQL =
  'SELECT id, user_id, refresh_token_hash, device_name, device_type, ip_address, user_agent, is_active, created_at, last_used_at, expires_at, family_id, rotated_at FROM sessions WHERE id = $1 LIMIT 1';
const USER_SQL =
  'SELECT id, email, hashed_password, full_name, is_active, is_superuser, role, oauth_provider, oauth_id, created_at, updated_at FROM users WHERE id = $1';
const LIST_SQL = 'SELECT id, title, description, is_active, created_at, updated_at FROM items ORDER BY created_at, id LIMIT $1 OFFSET $2';
const COUNT_SQL = 'SELECT count(*) FROM items';

/** ISO-8601 with an explicit +00:00 offset, as the API writes timestamps. */
const isoOffset = (date: Date): string => date.toISOString().replace(/Z$/, '+00:00');

type Claims = { sub?: unknown; sid?: unknown; type?: unknown; exp?: unknown };

/** The claims of a valid, unexpired HS256 access token that names a session, or null. */
function verifyAccessToken(header: unknown, key: Buffer): { sub: string; sid: string } | null {
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  const parts = match?.[1]?.split('.');
  if (parts?.length !== 3) return null;
  const [head, body, signature] = parts as [string, string, string];
  const expected = createHmac('sha256', key).update(`${head}.${body}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let claims: Claims;
  try {
    if ((JSON.parse(Buffer.from(head, 'base64url').toString()) as { alg?: unknown }).alg !== 'HS256') return null;
    claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as Claims;
  } catch {
    return null;
  }
  if (typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now()) return null;
  if (claims.type !== 'access' || typeof claims.sub !== 'string' || !claims.sub || typeof claims.sid !== 'string') return null;
  return { sub: claims.sub, sid: claims.sid };
}

/** A positive integer query parameter within bounds, its default when absent, or null when invalid. */
function intParam(raw: unknown, fallback: number, max: number): number | null {
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^\d+$/.test(raw)) return null;
  const value = Number(raw);
  return value >= 1 && value <= max ? value : null;
}

runServer(async () => {
  const settings = childSettings();
  const useTransaction = process.argv.includes('--tx');
  const checkAuth = process.argv.includes('--auth');
  const key = Buffer.from(settings.SECRET_KEY);
  const pool = new pg.Pool({
    connectionString: settings.databaseUrl,
    max: settings.DB_POOL_SIZE + settings.DB_MAX_OVERFLOW,
    connectionTimeoutMillis: settings.DB_POOL_TIMEOUT * 1000,
  });
  pool.on('error', () => {}); // an idle client's error; the next query reports it

  const app = Fastify({ logger: false });
  app.addHook('onClose', async () => {
    await pool.end();
  });

  app.get(`${settings.API_V1_STR}/items`, async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const page = intParam(query.page, 1, Number.MAX_SAFE_INTEGER);
    const size = intParam(query.size, 50, 100);
    if (page === null || size === null) return reply.code(422).send({ detail: 'invalid page or size' });

    let claims: { sub: string; sid: string } | null = null;
    if (checkAuth) {
      claims = verifyAccessToken(request.headers.authorization, key);
      if (!claims) return reply.code(401).send({ detail: 'Invalid or expired token' });
    }

    const client = await pool.connect();
    let rows: ItemRow[];
    let total: number;
    let failure: Error | undefined;
    try {
      if (claims) {
        const session = (await client.query<{ user_id: string; is_active: boolean; expires_at: Date }>(SESSION_SQL, [claims.sid])).rows[0];
        const user = session ? (await client.query<{ is_active: boolean }>(USER_SQL, [session.user_id])).rows[0] : undefined;
        if (
          !session ||
          !user ||
          !session.is_active ||
          session.expires_at.getTime() <= Date.now() ||
          session.user_id !== claims.sub ||
          !user.is_active
        ) {
          return reply.code(401).send({ detail: 'Invalid or expired token' });
        }
      }
      if (useTransaction) await client.query('BEGIN');
      rows = (await client.query<ItemRow>(LIST_SQL, [size, (page - 1) * size])).rows;
      total = Number((await client.query<{ count: string }>(COUNT_SQL)).rows[0]!.count);
      if (useTransaction) await client.query('COMMIT');
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
      if (useTransaction) await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release(failure); // a client that failed is discarded, not reused
    }

    return {
      items: rows.map((r) => ({
        id: r.id,
        title: r.title,
        description: r.description,
        is_active: r.is_active,
        created_at: isoOffset(r.created_at),
        updated_at: r.updated_at ? isoOffset(r.updated_at) : null,
      })),
      total,
      page,
      size,
      pages: Math.ceil(total / size),
    };
  });

  await serve(app);
});
