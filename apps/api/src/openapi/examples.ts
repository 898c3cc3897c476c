// Example values built from JSON schemas, so every request body and success response in the
// document carries an example without one being written by hand (the OpenAPI test checks that
// each example validates against its schema).

export type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  format?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  example?: unknown;
  examples?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  pattern?: string;
  [key: string]: unknown;
};

/** Resolves `#/components/schemas/<name>` references. */
export type SchemaLookup = (ref: string) => JsonSchema | undefined;

const FORMAT_EXAMPLES: Record<string, string> = {
  uuid: '3fa85f64-5717-4562-b3fc-2c963f66afa6',
  email: 'user@example.com',
  'date-time': '2025-01-01T10:00:00.123+00:00',
  date: '2025-01-01',
  uri: 'https://example.com/webhook',
  url: 'https://example.com/webhook',
  password: 'correct horse battery',
};

/** Plain string fields whose name says what a realistic value looks like. */
const NAME_EXAMPLES: Record<string, string> = {
  username: 'user@example.com',
  email: 'user@example.com',
  password: 'correct horse battery',
  refresh_token: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIzZmE4NWY2NCJ9.c2lnbmF0dXJl',
  access_token: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIzZmE4NWY2NCJ9.c2lnbmF0dXJl',
  url: 'https://example.com/webhook',
  title: 'Example title',
  name: 'Example name',
  full_name: 'Jane Doe',
  content: 'Hello!',
  description: 'An example',
};

/** Only a guard against recursive schemas: real ones nest a dozen levels at most. */
const MAX_DEPTH = 32;

function fitsLength(value: string, schema: JsonSchema): boolean {
  return value.length >= (schema.minLength ?? 0) && value.length <= (schema.maxLength ?? Infinity);
}

function stringExample(schema: JsonSchema, name: string | undefined): string {
  const byFormat = schema.format ? FORMAT_EXAMPLES[schema.format] : undefined;
  if (byFormat !== undefined) return byFormat;
  const byName = name ? NAME_EXAMPLES[name] : undefined;
  if (byName !== undefined && fitsLength(byName, schema)) return byName;
  const base = 'string'.padEnd(schema.minLength ?? 0, 'x');
  return schema.maxLength !== undefined ? base.slice(0, schema.maxLength) : base;
}

/** 0 when the bounds allow it, else the bound nearest to it. */
function numberExample(schema: JsonSchema, integer: boolean): number {
  const lower = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : undefined);
  let value = lower !== undefined && lower > 0 ? lower : 0;
  if (schema.maximum !== undefined && value > schema.maximum) value = schema.maximum;
  if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum) value = schema.exclusiveMaximum - 1;
  return integer ? Math.ceil(value) : value;
}

const isNullSchema = (s: JsonSchema) => s.type === 'null';

/** A value that satisfies `schema` (for the schemas zod-openapi writes), or undefined if none is found. */
export function exampleOf(schema: JsonSchema | undefined, lookup: SchemaLookup, name?: string, depth = 0): unknown {
  if (!schema || depth > MAX_DEPTH) return undefined;
  if (schema.$ref) return exampleOf(lookup(schema.$ref), lookup, name, depth + 1);
  if (schema.example !== undefined) return schema.example;
  if (schema.examples?.length) return schema.examples[0];
  if (schema.const !== undefined) return schema.const;
  if (schema.enum?.length) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  const options = schema.anyOf ?? schema.oneOf;
  if (options) {
    const preferred = options.find((o) => !isNullSchema(o)) ?? options[0];
    return exampleOf(preferred, lookup, name, depth + 1);
  }
  if (schema.allOf?.length) return exampleOf(schema.allOf[0], lookup, name, depth + 1);
  const type = Array.isArray(schema.type) ? (schema.type.find((t) => t !== 'null') ?? 'null') : schema.type;
  switch (type) {
    case 'object':
      return Object.fromEntries(
        Object.entries(schema.properties ?? {}).map(([key, property]) => [key, exampleOf(property, lookup, key, depth + 1)]),
      );
    case 'array': {
      const item = exampleOf(schema.items, lookup, name, depth + 1);
      return item === undefined ? [] : Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () => item);
    }
    case 'string':
      return stringExample(schema, name);
    case 'integer':
      return numberExample(schema, true);
    case 'number':
      return numberExample(schema, false);
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      // no type: the schema accepts any value
      return type === undefined ? null : undefined;
  }
}
