// zod issues rewritten as the items of the 422 `detail` list: {type, loc, msg, input, ctx?}, with
// pydantic v2's type names and messages, since clients of the original show these messages and
// branch on `type` (docs/compatibility.md).
import type { ValidationErrorItem } from '@personal-automations/contracts';
import type { RestOperation } from './operations.ts';

export type Issue = {
  code: string;
  path: PropertyKey[];
  message: string;
  expected?: string;
  origin?: string;
  format?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  inclusive?: boolean;
  values?: unknown[];
  keys?: string[];
};

const valueAt = (root: unknown, path: PropertyKey[]): unknown =>
  path.reduce<unknown>(
    (node, key) => (node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined),
    root,
  );

function uuidError(value: unknown): string {
  if (typeof value !== 'string') return 'UUID input should be a string, bytes or UUID object';
  const body = value.startsWith('urn:uuid:') ? value.slice(9) : value;
  const bad = [...body].findIndex((c) => !/[0-9a-fA-F-]/.test(c));
  if (bad >= 0)
    return `invalid character: expected an optional prefix of \`urn:uuid:\` followed by [0-9a-fA-F-], found \`${body[bad]}\` at ${bad + 1}`;
  const groups = body.split('-');
  if (groups.length !== 5) return `invalid group count: expected 5, found ${groups.length}`;
  return `invalid length: expected length 32 for simple format, found ${body.replaceAll('-', '').length}`;
}

const plural = (n: number | bigint, word: string) => `${n} ${word}${Number(n) === 1 ? '' : 's'}`;

type Located = { loc: (string | number)[]; value: unknown; where: 'path' | 'query' | 'body' };

function locate(issue: Issue, raw: unknown, op: RestOperation | undefined, bodyless: boolean): Located {
  const first = issue.path[0];
  const where = typeof first === 'string' && op?.pathParams.includes(first) ? 'path' : bodyless ? 'query' : 'body';
  const path = issue.path.map((k) => (typeof k === 'symbol' ? String(k) : k));
  return { loc: [where, ...path], value: valueAt(raw, issue.path), where };
}

function typeError(issue: Issue, at: Located, op: RestOperation | undefined): ValidationErrorItem {
  const { loc, value } = at;
  const field = issue.path.length === 1 ? op?.fields[String(issue.path[0])] : undefined;
  const expected = issue.expected === 'number' && field === 'integer' ? 'int' : issue.expected;
  switch (expected) {
    case 'int':
      if (typeof value === 'string')
        return { type: 'int_parsing', loc, msg: 'Input should be a valid integer, unable to parse string as an integer', input: value };
      if (typeof value === 'number')
        return { type: 'int_from_float', loc, msg: 'Input should be a valid integer, got a number with a fractional part', input: value };
      return { type: 'int_type', loc, msg: 'Input should be a valid integer', input: value };
    case 'number':
      if (typeof value === 'string')
        return { type: 'float_parsing', loc, msg: 'Input should be a valid number, unable to parse string as a number', input: value };
      return { type: 'float_type', loc, msg: 'Input should be a valid number', input: value };
    case 'string':
      return { type: 'string_type', loc, msg: 'Input should be a valid string', input: value };
    case 'boolean':
      return typeof value === 'string'
        ? { type: 'bool_parsing', loc, msg: 'Input should be a valid boolean, unable to interpret input', input: value }
        : { type: 'bool_type', loc, msg: 'Input should be a valid boolean', input: value };
    case 'array':
      return { type: 'list_type', loc, msg: 'Input should be a valid list', input: value };
    case 'object':
    case 'record':
      return {
        type: issue.path.length ? 'dict_type' : 'model_attributes_type',
        loc,
        msg: issue.path.length
          ? 'Input should be a valid dictionary'
          : 'Input should be a valid dictionary or object to extract fields from',
        input: value,
      };
    default:
      return { type: 'value_error', loc, msg: issue.message, input: value };
  }
}

/**
 * One zod issue as one 422 `detail` item. `raw` is the input as received (query values stay
 * strings); `bodyless` says whether non-path fields came from the query string.
 */
export function issueToValidationError(issue: Issue, raw: unknown, op: RestOperation | undefined, bodyless: boolean): ValidationErrorItem {
  const at = locate(issue, raw, op, bodyless);
  const { loc, value } = at;
  switch (issue.code) {
    case 'invalid_type':
    case 'invalid_value':
    case 'invalid_union': {
      if (value === undefined) {
        // A missing body field echoes the whole body object as `input`; a missing query, path or
        // form field echoes null.
        const perField = at.where !== 'body' || op?.formOnly;
        const parent = perField ? null : (valueAt(raw, issue.path.slice(0, -1)) ?? null);
        return { type: 'missing', loc, msg: 'Field required', input: stripPathParams(parent, op) };
      }
      if (issue.code === 'invalid_value') return valueError(issue, loc, value);
      return typeError(issue.code === 'invalid_union' ? { ...issue, expected: 'unknown' } : issue, at, op);
    }
    case 'too_small':
    case 'too_big':
      return boundError(issue, loc, value) ?? { type: 'value_error', loc, msg: issue.message, input: value ?? null };
    case 'invalid_format':
      if (issue.format === 'uuid' || issue.format === 'guid') {
        const error = uuidError(value);
        return { type: 'uuid_parsing', loc, msg: `Input should be a valid UUID, ${error}`, input: value, ctx: { error } };
      }
      if (issue.format === 'email') {
        const reason = 'An email address must have an @-sign.';
        return { type: 'value_error', loc, msg: `value is not a valid email address: ${reason}`, input: value, ctx: { reason } };
      }
      if (issue.format === 'url') {
        const error = 'relative URL without a base';
        return { type: 'url_parsing', loc, msg: `Input should be a valid URL, ${error}`, input: value, ctx: { error } };
      }
      break;
  }
  return { type: 'value_error', loc, msg: issue.message, input: value ?? null };
}

/** Number, string and list bounds in the 422's words ("Input should be greater than 0"), min or max, inclusive or not. */
function boundError(issue: Issue, loc: Located['loc'], value: unknown): ValidationErrorItem | undefined {
  const isMin = issue.code === 'too_small';
  const bound = (isMin ? issue.minimum : issue.maximum)!;
  if (issue.origin === 'number' || issue.origin === 'bigint') {
    const [type, relation, key] = isMin
      ? issue.inclusive
        ? ['greater_than_equal', 'greater than or equal to', 'ge']
        : ['greater_than', 'greater than', 'gt']
      : issue.inclusive
        ? ['less_than_equal', 'less than or equal to', 'le']
        : ['less_than', 'less than', 'lt'];
    return { type: type!, loc, msg: `Input should be ${relation} ${bound}`, input: value, ctx: { [key!]: bound } };
  }
  const limit = { word: isMin ? 'at least' : 'at most', ctxKey: isMin ? 'min_length' : 'max_length' };
  if (issue.origin === 'string')
    return {
      type: isMin ? 'string_too_short' : 'string_too_long',
      loc,
      msg: `String should have ${limit.word} ${plural(bound, 'character')}`,
      input: value,
      ctx: { [limit.ctxKey]: bound },
    };
  if (issue.origin === 'array') {
    const actual = Array.isArray(value) ? value.length : 0;
    return {
      type: isMin ? 'too_short' : 'too_long',
      loc,
      msg: `List should have ${limit.word} ${plural(bound, 'item')} after validation, not ${actual}`,
      input: value,
      ctx: { field_type: 'List', [limit.ctxKey]: bound, actual_length: actual },
    };
  }
  return undefined;
}

function valueError(issue: Issue, loc: Located['loc'], value: unknown): ValidationErrorItem {
  const expected = (issue.values ?? []).map((v) => `'${String(v)}'`);
  const joined = expected.length > 1 ? `${expected.slice(0, -1).join(', ')} or ${expected.at(-1)}` : (expected[0] ?? '');
  return {
    type: expected.length > 1 ? 'enum' : 'literal_error',
    loc,
    msg: `Input should be ${joined}`,
    input: value,
    ctx: { expected: joined },
  };
}

/** Deeply nested input is echoed only so far: the 422 body must stay serialisable. */
const MAX_ECHO_DEPTH = 32;
export function boundedInput(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_ECHO_DEPTH) return '…';
  if (Array.isArray(value)) return value.map((v) => boundedInput(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, boundedInput(v, depth + 1)]));
}

function stripPathParams(value: unknown, op: RestOperation | undefined): unknown {
  if (!op?.pathParams.length || value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => !op.pathParams.includes(k)));
}

/** The zod issues behind a failed input parse, or undefined for any other error. */
export function inputIssuesOf(error: unknown): Issue[] | undefined {
  // tRPC reports failed *output* validation as INTERNAL_SERVER_ERROR with a ZodError cause too.
  if ((error as { code?: string })?.code !== 'BAD_REQUEST' && (error as { name?: string })?.name !== 'ZodError') return undefined;
  const cause = (error as { cause?: unknown })?.cause;
  for (const candidate of [cause, error]) {
    const issues = (candidate as { issues?: unknown })?.issues;
    if (Array.isArray(issues) && (candidate as { name?: string }).name === 'ZodError') return issues as Issue[];
  }
  return undefined;
}
