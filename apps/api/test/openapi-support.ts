// Reading the served OpenAPI document in tests: its operations, and a JSON Schema 2020-12
// validator (ajv) for bodies against the schema the document gives for a status.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsImport from 'ajv-formats';
import type { OpenApiDocument } from '../src/openapi/document.ts';
import type { JsonSchema } from '../src/openapi/examples.ts';

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsImport as unknown as typeof addFormatsImport.default;

export type { JsonSchema, OpenApiDocument };

export type Parameter = { in: 'path' | 'query' | 'header'; name: string; required?: boolean; schema: JsonSchema; example?: unknown };
export type MediaType = { schema?: JsonSchema; example?: unknown; examples?: unknown };
export type ResponseObject = { description: string; content?: Record<string, MediaType>; headers?: Record<string, unknown> };
export type Operation = {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, MediaType> };
  responses: Record<string, ResponseObject | { $ref: string }>;
};

export type DocOperation = { method: string; path: string; key: string; operation: Operation };

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Every operation in the document, as `METHOD /path`. */
export function operationsOf(doc: OpenApiDocument): DocOperation[] {
  const list: DocOperation[] = [];
  for (const [path, item] of Object.entries(doc.paths))
    for (const [method, operation] of Object.entries(item))
      if (METHODS.includes(method))
        list.push({
          method: method.toUpperCase(),
          path,
          key: `${method.toUpperCase()} ${path}`,
          operation: operation as unknown as Operation,
        });
  return list;
}

/** A response object, following a `#/components/responses/...` reference. */
export function resolveResponse(doc: OpenApiDocument, response: ResponseObject | { $ref: string }): ResponseObject {
  if (!('$ref' in response)) return response;
  const name = response.$ref.replace('#/components/responses/', '');
  const resolved = doc.components.responses?.[name];
  if (!resolved) throw new Error(`unresolved response ${response.$ref}`);
  return resolved as ResponseObject;
}

/** Validates values against schemas of the document (their `#/components/schemas` references resolve). */
export function schemaValidator(doc: OpenApiDocument) {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  ajv.addFormat('password', true);
  ajv.addSchema({ $id: 'openapi.json', components: { schemas: doc.components.schemas } });
  const cache = new Map<string, ValidateFunction>();

  /** Rewrites `#/components/...` to point into the registered document. */
  const anchored = (schema: JsonSchema): JsonSchema =>
    JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi.json#/components/'));

  return {
    /** null when `value` satisfies `schema`, else ajv's messages. */
    errors(schema: JsonSchema, value: unknown): string[] | null {
      const key = JSON.stringify(schema);
      let validate = cache.get(key);
      if (!validate) {
        validate = ajv.compile(anchored(schema));
        cache.set(key, validate);
      }
      if (validate(value)) return null;
      return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
    },
  };
}

export type SchemaValidator = ReturnType<typeof schemaValidator>;
