// What the contract fuzz test sends: fast-check arbitraries for values that satisfy a JSON schema
// of the OpenAPI document and for the hostile values a third party might send instead, request
// plans built from them per operation, and body encodings.
import fc from 'fast-check';
import type { DocOperation, JsonSchema, Parameter } from './openapi-support.ts';

export type Lookup = (ref: string) => JsonSchema | undefined;

const ALNUM = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'];
const LOWER = [...'abcdefghijklmnopqrstuvwxyz0123456789'];
/** Plain words: no whitespace (strings are stripped before length checks) and no NUL. */
const word = (minLength: number, maxLength: number, chars = ALNUM) => fc.string({ unit: fc.constantFrom(...chars), minLength, maxLength });

/** Numbers the schema allows, near zero: huge ones belong to the hostile set. */
function bounds(schema: JsonSchema): [number, number] {
  let lo = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : -1000);
  let hi = schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1 : lo + 2000);
  lo = Math.max(lo, Math.min(hi, 0) - 1000);
  hi = Math.min(hi, lo + 2000);
  return [lo, hi];
}

function validString(schema: JsonSchema): fc.Arbitrary<string> {
  switch (schema.format) {
    case 'uuid':
      return fc.uuid({ version: 4 });
    case 'email':
      return fc.tuple(word(1, 12, LOWER), word(1, 12, LOWER)).map(([local, domain]) => `${local}@${domain}.com`);
    case 'date-time':
      return fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
    case 'uri':
    case 'url':
      // a closed port on this machine: a delivery fails at once, and no request leaves it
      return word(1, 12).map((path) => `http://127.0.0.1:9/${path}`);
  }
  const min = schema.minLength ?? 0;
  const max = Math.min(schema.maxLength ?? min + 40, min + 40);
  if (schema.pattern)
    return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length >= min && s.length <= (schema.maxLength ?? Infinity));
  return word(min, max);
}

/** Values that satisfy `schema`. */
export function validValue(schema: JsonSchema | undefined, lookup: Lookup, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 32) return fc.constant(null);
  if (schema.$ref) return validValue(lookup(schema.$ref), lookup, depth + 1);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum?.length) return fc.constantFrom(...schema.enum);
  const options = schema.anyOf ?? schema.oneOf;
  if (options) return fc.oneof(...options.map((o) => validValue(o, lookup, depth + 1)));
  if (schema.allOf?.length) return validValue(schema.allOf[0], lookup, depth + 1);
  if (Array.isArray(schema.type)) return fc.oneof(...schema.type.map((type) => validValue({ ...schema, type }, lookup, depth + 1)));
  switch (schema.type) {
    case 'object': {
      const properties = Object.entries(schema.properties ?? {}).map(
        ([key, property]) => [key, validValue(property, lookup, depth + 1)] as const,
      );
      return fc.record(Object.fromEntries(properties), { requiredKeys: schema.required ?? [] });
    }
    case 'array': {
      const minLength = schema.minItems ?? 0;
      return fc.array(validValue(schema.items, lookup, depth + 1), { minLength, maxLength: minLength + 3 });
    }
    case 'string':
      return validString(schema);
    case 'integer':
      return fc.integer({ min: bounds(schema)[0], max: bounds(schema)[1] });
    case 'number': {
      const [min, max] = bounds(schema);
      return fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
    }
    case 'boolean':
      return fc.boolean();
    default:
      return fc.constant(null);
  }
}

const EDGE_STRINGS = [
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\uffff',
  '\u202e',
  '🙂',
  'ǅ',
  '﷽',
  "'; DROP TABLE users; --",
  '../../etc/passwd',
  '%00',
  '%2F',
  `\${jndi:ldap://127.0.0.1/x}`,
  '<script>alert(1)</script>',
  'null',
  'true',
  '1e999',
  'NaN',
  '-0',
  '0x10',
  '\r\n',
];

const BAD_UUIDS = [
  'not-a-uuid',
  '3fa85f64-5717-4562-b3fc-2c963f66afa',
  '3fa85f64-5717-4562-b3fc-2c963f66afa6x',
  '3fa85f64_5717_4562_b3fc_2c963f66afa6',
  '3FA85F64-5717-4562-B3FC-2C963F66AFA6',
  'urn:uuid:3fa85f64-5717-4562-b3fc-2c963f66afa6',
  '{3fa85f64-5717-4562-b3fc-2c963f66afa6}',
  '3fa85f6457174562b3fc2c963f66afa6',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  'g0000000-0000-0000-0000-000000000000',
];

const EDGE_NUMBERS = [-1, 0, -0.5, 1.5, 1e-7, -2147483649, 2147483648, 2 ** 53, -(2 ** 53), Number.MAX_SAFE_INTEGER + 2, 1e308, -1e308];

export const hugeString = fc.oneof(
  fc.integer({ min: 256, max: 200_000 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 64, max: 20_000 }).map((n) => '🙂é\u0301'.repeat(n)),
);

/** Path parameters are tried up to this length, past the router's own limit (apps/api/src/app.ts). */
export const MAX_PATH_PARAM_LENGTH = 3000;

/** Path segments that are not valid ids (never empty: `/items/` is another URL). */
export const badPathValue = fc
  .oneof(
    fc.constantFrom(...BAD_UUIDS, ...EDGE_STRINGS),
    fc.uuid().map((u) => `${u}0`),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }),
    hugeString,
  )
  .map((s) => s.slice(0, MAX_PATH_PARAM_LENGTH));

/** Any JSON value of the wrong kind or out of range, in a body field. */
export const junkValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(...EDGE_NUMBERS, ...EDGE_STRINGS, ...BAD_UUIDS, true, false, null, [], {}, ''),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  hugeString,
  fc.array(fc.oneof(fc.integer(), fc.string()), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.integer(), fc.string(), fc.constant(null)), { maxKeys: 4 }),
);

/** A query-string value that is not what the parameter wants. */
export const junkQueryValue = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    'abc',
    '-1',
    '0',
    '1.5',
    '1e3',
    '0x10',
    '99999999999999999999999',
    '-99999999999999999999',
    'NaN',
    'Infinity',
    'true',
    'null',
    '\u0000',
  ),
  fc.constantFrom(...EDGE_STRINGS, ...BAD_UUIDS),
  fc.string({ unit: 'binary', maxLength: 60 }),
  hugeString.map((s) => s.slice(0, 20_000)),
);

/** JSON nested `depth` levels deep, as a whole body or inside a field. */
export const nestedJson = (depth: number) => ['['.repeat(depth) + ']'.repeat(depth), `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`];

const deepNesting = fc.integer({ min: 10, max: 20_000 }).chain((depth) => fc.constantFrom(...nestedJson(depth)));

/** Bodies sent as application/json that are not a JSON object. */
export const malformedJson = fc.oneof(
  fc.constantFrom(
    '{',
    '}',
    '[',
    '{"a":}',
    '{"a" 1}',
    "{'a': 1}",
    '{"a":1,}',
    'NaN',
    'undefined',
    '\u0000',
    ' ',
    'null',
    'true',
    '123',
    '"text"',
    '[]',
    '[{}]',
    '1e999',
    '\ufeff{}',
  ),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.json().map((text) => text.slice(0, Math.max(1, text.length - 1))),
  fc.json(),
  deepNesting,
);

/** Content types a body may be mislabelled with (the body itself is encoded to match). */
export const wrongContentType = fc.constantFrom(
  'text/plain',
  'application/xml',
  'application/octet-stream',
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'application/json; charset=utf-16',
  'application/vnd.api+json',
  'APPLICATION/JSON',
  'text/html; charset=utf-8',
  '',
  'none',
);

export type AuthVariant = 'principal' | 'none' | 'garbage' | 'basic' | 'refresh' | 'lowercase' | 'tampered' | 'empty' | 'otherUser';
export const hostileAuth = fc.constantFrom<AuthVariant>(
  'none',
  'garbage',
  'basic',
  'refresh',
  'lowercase',
  'tampered',
  'empty',
  'otherUser',
);

// ---- the operations, as the fuzzer sees them
export type FuzzOp = DocOperation & {
  pathParams: Parameter[];
  queryParams: Parameter[];
  body?: { contentType: string; schema: JsonSchema };
  secured: boolean;
  adminOnly: boolean;
};

export function fuzzOp(entry: DocOperation): FuzzOp {
  const parameters = entry.operation.parameters ?? [];
  const [contentType, media] = Object.entries(entry.operation.requestBody?.content ?? {})[0] ?? [];
  return {
    ...entry,
    pathParams: parameters.filter((p) => p.in === 'path'),
    queryParams: parameters.filter((p) => p.in === 'query'),
    body: contentType && media?.schema ? { contentType, schema: media.schema } : undefined,
    secured: !!entry.operation.security?.length,
    adminOnly: '403' in entry.operation.responses,
  };
}

// ---- what one request is made of: a valid plan, and mutations that make it hostile
export type Mutation =
  | { kind: 'dropField' | 'nullField'; index: number }
  | { kind: 'replaceField'; index: number; value: unknown }
  | { kind: 'unknownFields'; extra: Record<string, unknown> }
  | { kind: 'replaceQuery'; index: number; value: string }
  | { kind: 'repeatQuery'; index: number; values: string[] }
  | { kind: 'extraQuery'; name: string; value: string }
  | { kind: 'badPath'; index: number; value: string }
  | { kind: 'rawJson'; text: string }
  | { kind: 'contentType'; type: string }
  | { kind: 'hugeBody' }
  | { kind: 'auth'; variant: AuthVariant };

export type Plan = { pathPicks: number[]; query: Record<string, unknown>; body: unknown; mutations: Mutation[] };

export const validPlan = (op: FuzzOp, lookup: (ref: string) => JsonSchema | undefined): fc.Arbitrary<Plan> =>
  fc.record({
    pathPicks: fc.array(fc.nat(), { minLength: op.pathParams.length, maxLength: op.pathParams.length }),
    query: validValue(
      {
        type: 'object',
        properties: Object.fromEntries(op.queryParams.map((p) => [p.name, p.schema])),
        required: op.queryParams.filter((p) => p.required).map((p) => p.name),
      },
      lookup,
    ) as fc.Arbitrary<Record<string, unknown>>,
    body: op.body ? validValue(op.body.schema, lookup) : fc.constant(undefined),
    mutations: fc.constant([]),
  });

function mutation(op: FuzzOp): fc.Arbitrary<Mutation> {
  const index = fc.nat();
  const options: fc.Arbitrary<Mutation>[] = [];
  const acceptsBody = op.method !== 'GET';
  if (op.body) {
    options.push(
      fc.record({ kind: fc.constantFrom('dropField' as const, 'nullField' as const), index }),
      fc.record({ kind: fc.constant('replaceField' as const), index, value: junkValue }),
      fc.record({
        kind: fc.constant('unknownFields' as const),
        extra: fc.dictionary(fc.string({ maxLength: 12 }), junkValue, { minKeys: 1, maxKeys: 3 }),
      }),
    );
  }
  if (acceptsBody) {
    options.push(
      fc.record({ kind: fc.constant('rawJson' as const), text: malformedJson }),
      fc.record({ kind: fc.constant('contentType' as const), type: wrongContentType }),
      fc.constant({ kind: 'hugeBody' as const }),
    );
  }
  if (op.queryParams.length) {
    options.push(
      fc.record({ kind: fc.constant('replaceQuery' as const), index, value: junkQueryValue }),
      fc.record({ kind: fc.constant('repeatQuery' as const), index, values: fc.array(junkQueryValue, { minLength: 2, maxLength: 3 }) }),
    );
  }
  if (op.pathParams.length) options.push(fc.record({ kind: fc.constant('badPath' as const), index, value: badPathValue }));
  options.push(
    fc.record({ kind: fc.constant('extraQuery' as const), name: fc.string({ minLength: 1, maxLength: 10 }), value: junkQueryValue }),
    fc.record({ kind: fc.constant('auth' as const), variant: hostileAuth }),
  );
  return fc.oneof(...options);
}

export const hostilePlan = (op: FuzzOp, lookup: (ref: string) => JsonSchema | undefined) =>
  fc
    .tuple(validPlan(op, lookup), fc.array(mutation(op), { minLength: 1, maxLength: 2 }))
    .map(([plan, mutations]) => ({ ...plan, mutations }));

// ---- encoding
/** A URL cannot carry a lone surrogate: a client sends U+FFFD instead. */
export const wellFormed = (text: string) =>
  text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

export const flat = (value: unknown) =>
  value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);

/** A body value encoded for a content type (a mislabelled body is still encoded as that type says). */
export function encodeBody(value: unknown, contentType: string): { payload: string; headers: Record<string, string> } {
  const fields = value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.entries(value) : [['value', value] as const];
  if (contentType === 'application/x-www-form-urlencoded')
    return {
      payload: new URLSearchParams(fields.map(([k, v]): [string, string] => [String(k), flat(v)])).toString(),
      headers: { 'content-type': contentType },
    };
  if (contentType === 'multipart/form-data') {
    const parts = fields.map(
      ([k, v]) => `--fuzzboundary\r\nContent-Disposition: form-data; name="${encodeURIComponent(k)}"\r\n\r\n${flat(v)}\r\n`,
    );
    return { payload: `${parts.join('')}--fuzzboundary--\r\n`, headers: { 'content-type': 'multipart/form-data; boundary=fuzzboundary' } };
  }
  const payload = JSON.stringify(value ?? {});
  return { payload, headers: contentType === 'none' ? {} : { 'content-type': contentType } };
}
