// Contract conformance and fuzzing over every operation of the served OpenAPI document: valid
// inputs built from its schemas and hostile ones (wrong types, missing fields, huge and unicode
// strings, extreme numbers, bad UUIDs, malformed JSON, wrong content types, bad credentials).
// Every answer must be non-5xx, listed for the operation, and match the schema given for its
// status; a refused request must leave the database exactly as it was.
// FUZZ_RUNS sets the hostile runs per operation (valid runs: a third of it), FUZZ_SEED the seed,
// FUZZ_VERBOSE=1 prints the statuses seen per operation.
import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { appRouter } from '@personal-automations/router';
import { hashPassword } from '@personal-automations/services';
import { BODY_LIMIT_BYTES } from '../src/app.ts';
import { buildOpenApiDocument } from '../src/openapi/document.ts';
import { buildOperations } from '../src/rest/operations.ts';
import {
  type AuthVariant,
  encodeBody,
  type FuzzOp,
  flat,
  fuzzOp,
  hostilePlan,
  MAX_PATH_PARAM_LENGTH,
  nestedJson,
  type Plan,
  validPlan,
  wellFormed,
} from './fuzz-inputs.ts';
import { login, type SignedUp, signUp, testSettings, useTestApp } from './helpers.ts';
import {
  type JsonSchema,
  type MediaType,
  type OpenApiDocument,
  operationsOf,
  resolveResponse,
  type SchemaValidator,
  schemaValidator,
} from './openapi-support.ts';

const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 24);
const VALID_RUNS = Math.max(4, Math.ceil(FUZZ_RUNS / 3));
const SEED = Number(process.env.FUZZ_SEED ?? 20261126);

const t = useTestApp();
// The operations are read from the document before the app starts, so each gets its own test.
const plannedDoc = buildOpenApiDocument(appRouter, buildOperations(appRouter), testSettings('postgresql://127.0.0.1/unused'));

/** Deletions run last (of one resource, then of whole collections), so the rest find resources to act on. */
const runOrder = (op: FuzzOp) => (op.method !== 'DELETE' ? 0 : op.pathParams.length ? 1 : 2);
const fuzzOps = operationsOf(plannedDoc)
  .map(fuzzOp)
  .sort((a, b) => runOrder(a) - runOrder(b));

// ---- state shared by the runs: who calls, which ids exist, what the database holds
type Principals = { user: SignedUp; admin: SignedUp };
let principals: Principals;
const pools = new Map<string, string[]>();
let fingerprintSql = '';
/**
 * What the fingerprint reads of the tables the background jobs change while a request runs (the
 * embedded app runs its worker in-process): the outbox rows themselves but not their relay
 * bookkeeping, and not the job queue's own rows (null: left out).
 */
const BACKGROUND_STATE: Record<string, string | null> = { outbox_events: '(x.id, x.event_type, x.payload)::text', jobs: null };
let doc: OpenApiDocument;
let validator: SchemaValidator;

const poolKey = (path: string) => path.slice(0, path.indexOf('/{'));

async function fingerprint(): Promise<string> {
  const rows = await t.db.$queryRawUnsafe<{ t: string; h: string }[]>(fingerprintSql);
  return rows.map((r) => `${r.t}:${r.h}`).join(',');
}

/**
 * Restores a principal that a run logged out, demoted, disabled or gave a new email or password:
 * the same user (so it keeps what it owns) with its known credentials and a new login, or a new
 * user when it was deleted.
 */
async function ensurePrincipals() {
  for (const role of ['user', 'admin'] as const) {
    const principal = principals[role];
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: principal.auth });
    if (me.statusCode === 200 && me.json().role === role) continue;
    const restore = { email: principal.email, hashedPassword: await hashPassword(principal.password), isActive: true, role };
    const restored = await t.db.user.updateMany({ where: { id: principal.id }, data: restore });
    const tokens = restored.count ? await login(t, principal.email, principal.password) : undefined;
    principals[role] = tokens
      ? { ...principal, ...tokens, auth: { authorization: `Bearer ${tokens.access_token}` } }
      : await signUp(t, { role });
  }
}

/** The ids a collection lists now (GET on the path before `/{id}`), as the caller of `op` sees them. */
async function primePool(op: FuzzOp) {
  const key = poolKey(op.path);
  const list = fuzzOps.find((o) => o.method === 'GET' && o.path === key);
  if (!list) return;
  const res = await t.app.inject({ method: 'GET', url: `/api/v1${key}`, headers: authHeader(op, 'principal') });
  pools.set(key, []);
  if (res.statusCode === 200) harvest(list, res.json());
}

/** Remembers ids that 2xx answers reveal, so path parameters can name resources that exist. */
function harvest(op: FuzzOp, body: unknown) {
  for (const key of pools.keys()) {
    const rest = op.path.slice(key.length);
    if (!op.path.startsWith(key) || rest.split('/').length > 2) continue;
    const ids = pools.get(key)!;
    const found = [body, ...Object.values((body ?? {}) as object).flatMap((v) => (Array.isArray(v) ? v : []))]
      .map((v) => (v as { id?: unknown } | null)?.id)
      .filter((id): id is string => typeof id === 'string');
    // The principals stay out: deleting or disabling them would take their resources along.
    const principalIds = [principals.user.id, principals.admin.id];
    for (const id of found) if (!ids.includes(id) && !principalIds.includes(id)) ids.push(id);
    if (ids.length > 40) ids.splice(0, ids.length - 40);
  }
}

function authHeader(op: FuzzOp, variant: AuthVariant): Record<string, string> {
  const own = op.adminOnly ? principals.admin : principals.user;
  const token = own.access_token;
  switch (variant) {
    case 'principal':
      return { authorization: `Bearer ${token}` };
    case 'none':
      return {};
    case 'garbage':
      return { authorization: 'Bearer not.a.jwt' };
    case 'basic':
      return { authorization: 'Basic dXNlcjpwYXNz' };
    case 'refresh':
      return { authorization: `Bearer ${own.refresh_token}` };
    case 'lowercase':
      return { authorization: `bearer ${token}` };
    case 'tampered':
      return { authorization: `Bearer ${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}` };
    case 'empty':
      return { authorization: 'Bearer ' };
    case 'otherUser':
      return { authorization: `Bearer ${(op.adminOnly ? principals.user : principals.admin).access_token}` };
  }
}

function buildRequest(op: FuzzOp, plan: Plan): InjectOptions {
  const body =
    op.body && plan.body !== null && typeof plan.body === 'object' && !Array.isArray(plan.body)
      ? { ...(plan.body as Record<string, unknown>) }
      : plan.body;
  const fieldNames = op.body?.schema.properties ? Object.keys(op.body.schema.properties) : Object.keys((body as object) ?? {});
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(plan.query)) if (value !== undefined) query.append(name, flat(value));
  const pathValues = op.pathParams.map((_param, i) => {
    const ids = pools.get(poolKey(op.path)) ?? [];
    const pick = plan.pathPicks[i] ?? 0;
    return ids.length && pick % 3 !== 0 ? ids[pick % ids.length]! : crypto.randomUUID();
  });
  let auth: AuthVariant = 'principal';
  let contentType = op.body?.contentType ?? 'application/json';
  let raw: string | undefined;
  const target = body as Record<string, unknown>;
  for (const m of plan.mutations) {
    const field = fieldNames.length ? fieldNames[('index' in m ? m.index : 0) % fieldNames.length]! : 'value';
    const queryName = op.queryParams.length ? op.queryParams[('index' in m ? m.index : 0) % op.queryParams.length]!.name : 'q';
    if (m.kind === 'dropField' && target) delete target[field];
    else if (m.kind === 'nullField' && target) target[field] = null;
    else if (m.kind === 'replaceField' && target) target[field] = m.value;
    else if (m.kind === 'unknownFields' && target) Object.assign(target, m.extra);
    else if (m.kind === 'replaceQuery') query.set(queryName, m.value);
    else if (m.kind === 'repeatQuery') {
      query.delete(queryName);
      for (const v of m.values) query.append(queryName, v);
    } else if (m.kind === 'extraQuery') query.append(m.name, m.value);
    else if (m.kind === 'badPath') pathValues[m.index % pathValues.length] = m.value;
    else if (m.kind === 'rawJson') raw = m.text;
    else if (m.kind === 'contentType') contentType = m.type;
    else if (m.kind === 'hugeBody') raw = JSON.stringify({ padding: 'x'.repeat(BODY_LIMIT_BYTES + 1024) });
    else if (m.kind === 'auth') auth = m.variant;
  }
  const path = op.pathParams.reduce((p, param, i) => p.replace(`{${param.name}}`, encodeURIComponent(wellFormed(pathValues[i]!))), op.path);
  const search = query.toString();
  const request: InjectOptions = {
    method: op.method as InjectOptions['method'],
    url: `/api/v1${path}${search ? `?${search}` : ''}`,
    headers: authHeader(op, auth),
  };
  const sendsBody = op.method !== 'GET' && (op.body || raw !== undefined || plan.mutations.some((m) => m.kind === 'contentType'));
  if (sendsBody) {
    const encoded = raw !== undefined ? { payload: raw, headers: { 'content-type': 'application/json' } } : encodeBody(body, contentType);
    request.payload = encoded.payload;
    request.headers = { ...request.headers, ...encoded.headers };
  }
  return request;
}

/** What is wrong with an answer, measured against the document. */
function problemsWith(op: FuzzOp, res: LightMyRequestResponse): string[] {
  const problems: string[] = [];
  if (res.statusCode >= 500) problems.push(`server error ${res.statusCode}: ${res.body.slice(0, 300)}`);
  const listed = op.operation.responses[String(res.statusCode)] ?? op.operation.responses.default;
  if (!listed) return [...problems, `status ${res.statusCode} is not documented: ${res.body.slice(0, 300)}`];
  const response = resolveResponse(doc, listed);
  for (const name of Object.keys(response.headers ?? {}))
    if (res.headers[name.toLowerCase()] === undefined) problems.push(`${res.statusCode} lacks header ${name}`);
  const events = response.content?.['text/event-stream'] as (MediaType & { 'x-event-data'?: JsonSchema }) | undefined;
  if (events) return [...problems, ...streamProblems(res, events['x-event-data'])];
  const media = response.content?.['application/json'];
  if (!media) return res.body === '' ? problems : [...problems, `${res.statusCode} should have no body: ${res.body.slice(0, 200)}`];
  if (!String(res.headers['content-type']).startsWith('application/json'))
    problems.push(`${res.statusCode} content-type ${res.headers['content-type']}`);
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch {
    return [...problems, `${res.statusCode} body is not JSON: ${res.body.slice(0, 200)}`];
  }
  const errors = validator.errors(media.schema!, body);
  if (errors) problems.push(`${res.statusCode} body breaks its schema: ${errors.slice(0, 3).join('; ')} in ${res.body.slice(0, 300)}`);
  return problems;
}

/** What is wrong with a streamed answer: its type, and each event's data against the event schema. */
function streamProblems(res: LightMyRequestResponse, eventSchema: JsonSchema | undefined): string[] {
  if (!String(res.headers['content-type']).startsWith('text/event-stream'))
    return [`${res.statusCode} content-type ${res.headers['content-type']}`];
  const data = res.body.split('\n').filter((line) => line.startsWith('data: '));
  if (!data.length) return [`${res.statusCode} stream has no event: ${res.body.slice(0, 200)}`];
  if (!eventSchema) return ['the document names no schema for the events (x-event-data)'];
  return data.flatMap((line) => {
    const errors = validator.errors(eventSchema, JSON.parse(line.slice(6)));
    return errors ? [`an event breaks its schema: ${errors.slice(0, 3).join('; ')} in ${line.slice(0, 300)}`] : [];
  });
}

/** Statuses seen per operation and mode, e.g. `POST /items valid` → {201: 7, 422: 1}. */
const tally = new Map<string, Record<number, number>>();

async function send(op: FuzzOp, plan: Plan, mode: 'valid' | 'hostile') {
  const request = buildRequest(op, plan);
  const before = op.method === 'GET' ? '' : await fingerprint();
  const res = await t.app.inject(request);
  const seen = tally.get(`${op.key} ${mode}`) ?? {};
  seen[res.statusCode] = (seen[res.statusCode] ?? 0) + 1;
  tally.set(`${op.key} ${mode}`, seen);
  const problems = problemsWith(op, res);
  const ok = res.statusCode < 300;
  if (op.method !== 'GET' && !ok && (await fingerprint()) !== before)
    problems.push(`refused with ${res.statusCode}, yet the database changed`);
  if (mode === 'valid') {
    if (op.secured && (res.statusCode === 401 || res.statusCode === 403))
      problems.push(`valid credentials refused: ${res.statusCode} ${res.body.slice(0, 200)}`);
    if (res.statusCode === 422 && 'detail' in (res.json() as object))
      problems.push(`a schema-valid input failed validation: ${res.body.slice(0, 400)}`);
  }
  if (problems.length) {
    const clip = (text: unknown) =>
      typeof text === 'string' && text.length > 500 ? `${text.slice(0, 500)}… (${text.length} characters)` : text;
    const shown = { ...request, url: clip(request.url), payload: clip(request.payload) };
    throw new Error(`${op.key}\nrequest: ${JSON.stringify(shown)}\n${problems.join('\n')}`);
  }
  if (ok && res.body && String(res.headers['content-type']).startsWith('application/json')) harvest(op, JSON.parse(res.body));
  if (res.statusCode === 204 && op.method === 'DELETE' && op.pathParams.length) {
    const ids = pools.get(poolKey(op.path)) ?? [];
    pools.set(
      poolKey(op.path),
      ids.filter((id) => !request.url!.toString().includes(`/${id}`)),
    );
  }
  if (ok && op.method !== 'GET') await ensurePrincipals();
}

beforeAll(async () => {
  doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
  validator = schemaValidator(doc);
  principals = { user: await signUp(t), admin: await signUp(t, { role: 'admin' }) };
  for (const { path } of operationsOf(doc)) if (path.includes('/{')) pools.set(poolKey(path), []);
  const tables = await t.db.$queryRawUnsafe<{ name: string }[]>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> '_prisma_migrations' ORDER BY 1",
  );
  fingerprintSql = tables
    .filter(({ name }) => !(name in BACKGROUND_STATE) || BACKGROUND_STATE[name])
    .map(({ name }) => {
      const row = BACKGROUND_STATE[name] ?? 'x::text';
      return `SELECT '${name}' AS t, count(*) || ':' || coalesce(md5(string_agg(${row}, '|' ORDER BY ${row})), '') AS h FROM "${name}" x`;
    })
    .join(' UNION ALL ');
});

describe(`contract fuzzing (FUZZ_RUNS=${FUZZ_RUNS}, seed ${SEED})`, () => {
  it('fuzzes the operations of the served document', () => {
    expect(
      operationsOf(doc)
        .map((o) => o.key)
        .sort(),
    ).toEqual(
      operationsOf(plannedDoc)
        .map((o) => o.key)
        .sort(),
    );
    expect(fingerprintSql).toContain('"items"');
  });

  const lookup = (ref: string) => plannedDoc.components.schemas[ref.replace('#/components/schemas/', '')];
  for (const op of fuzzOps) {
    it(`${op.key}: valid and hostile inputs`, async () => {
      if (op.pathParams.length) await primePool(op);
      await fc.assert(
        fc.asyncProperty(validPlan(op, lookup), (plan) => send(op, plan, 'valid')),
        { seed: SEED, numRuns: VALID_RUNS, endOnFailure: true },
      );
      await fc.assert(
        fc.asyncProperty(hostilePlan(op, lookup), (plan) => send(op, plan, 'hostile')),
        { seed: SEED, numRuns: FUZZ_RUNS, endOnFailure: true },
      );
    }, 600_000);
  }

  it('valid inputs succeed on most operations, so the routes are exercised past validation', () => {
    const entries = operationsOf(plannedDoc).map(({ key }) => [key, tally.get(`${key} valid`) ?? {}] as const);
    if (process.env.FUZZ_VERBOSE)
      for (const [key, seen] of entries) console.log(key, JSON.stringify(seen), JSON.stringify(tally.get(`${key} hostile`)));
    const succeeding = entries.filter(([, seen]) => Object.keys(seen).some((status) => Number(status) < 400));
    expect(succeeding.length / entries.length).toBeGreaterThan(0.8);
  });

  it('leaves nothing half-written: every user and item has the event of its creation', async () => {
    for (const [table, event] of [
      ['users', 'user.created'],
      ['items', 'item.created'],
    ]) {
      const orphans = await t.db.$queryRawUnsafe<{ n: bigint }[]>(
        `SELECT count(*) AS n FROM ${table} r WHERE NOT EXISTS (SELECT 1 FROM outbox_events e WHERE e.event_type = '${event}' AND e.payload->>'id' = r.id::text)`,
      );
      expect(Number(orphans[0]!.n), table).toBe(0);
    }
    const users = await t.db.user.count();
    expect(users).toBeGreaterThanOrEqual(2);
  });
});

// Inputs that once answered 500 or left the contract's shapes, kept as fixed cases.
describe('inputs fuzzing once broke the contract with', () => {
  const expectContractAnswer = (res: LightMyRequestResponse) => {
    expect(res.statusCode).toBeLessThan(500);
    expect(Object.keys(res.json() as object)).toEqual(['detail']);
  };

  it('a required enum field that is missing is reported as `missing`, with the body as input', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: principals.user.auth, payload: {} });
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/conversations/${created.json().id}/messages`,
      headers: principals.user.auth,
      payload: { content: 'hi' },
    });
    expect(res.json().detail).toEqual([{ type: 'missing', loc: ['body', 'role'], msg: 'Field required', input: { content: 'hi' } }]);
  });

  it('a login username holding NUL is a 422, not a 500', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: 'username=a%00b&password=secret',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.statusCode).toBe(422);
  });

  it('a multipart body without a valid boundary is a 4xx, not a 500', async () => {
    expectContractAnswer(
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: 'username=a',
        headers: { 'content-type': 'multipart/form-data' },
      }),
    );
  });

  it('JSON nested 10,000 levels deep is a 422, not a 500', async () => {
    for (const payload of nestedJson(10_000))
      expectContractAnswer(
        await t.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload, headers: { 'content-type': 'application/json' } }),
      );
  });

  it(`a path parameter longer than ${MAX_PATH_PARAM_LENGTH} characters is a 422, in FastAPI's shape`, async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/v1/items/${'x'.repeat(MAX_PATH_PARAM_LENGTH + 1)}`,
      headers: principals.user.auth,
    });
    expectContractAnswer(res);
    expect(res.statusCode).toBe(422);
  });

  it('a path with a malformed percent-escape gets a FastAPI-shaped answer', async () => {
    expectContractAnswer(await t.app.inject({ method: 'GET', url: '/api/v1/items/%ZZ', headers: principals.user.auth }));
  });
});
