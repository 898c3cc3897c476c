// The OpenAPI 3.1 document for /api/v1, generated from the same routers and operation table that
// serve REST, then given the contract's real responses: the success status, every error status an
// operation can answer with its body, security from the access its base procedure declares, and examples.
import type { AnyRouter } from '@trpc/server';
import { generateOpenApiDocument } from 'trpc-to-openapi';
import type { Settings } from '@personal-automations/config';
import { ErrorEnvelope, HTTPError, HTTPValidationError } from '@personal-automations/contracts';
import type { Access, Meta } from '@personal-automations/router';
import type { RestOperation } from '../rest/operations.ts';
import { exampleOf, type JsonSchema, type SchemaLookup } from './examples.ts';
import { ERROR_RESPONSES, RESPONSE, type ResponseName, responseRef } from './responses.ts';
import { streamedSuccess, streamStandIns } from './streams.ts';

type MediaType = { schema?: JsonSchema; example?: unknown; examples?: unknown };
type ResponseObject = { description: string; content?: Record<string, MediaType>; headers?: Record<string, unknown> } | { $ref: string };
type Parameter = { in: string; name: string; schema?: JsonSchema; example?: unknown };
type OperationObject = {
  responses: Record<string, ResponseObject>;
  security?: unknown[];
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, MediaType> };
  tags?: string[];
};
export type OpenApiDocument = {
  openapi: string;
  info: Record<string, unknown>;
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, OperationObject>>;
  components: { schemas: Record<string, JsonSchema>; responses?: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
};

const SECURITY_SCHEME = 'HTTPBearer';

const TAG_DESCRIPTIONS: Record<string, string> = {
  health: 'Liveness and readiness probes (no auth)',
  auth: 'Password login, token refresh and logout',
  oauth: 'Sign in with Google (browser redirects)',
  users: 'The current user, and user administration (admin)',
  sessions: "The caller's login sessions",
  items: 'Example CRUD resource',
  conversations: "The caller's conversations and their messages",
  webhooks: 'Outgoing webhooks and their delivery log',
  usage: "Model tokens per day and model, and the daily quota: the caller's own, or any user's (admin)",
  agent: 'The agent turn over plain HTTP, streamed as server-sent events (the WebSocket is WS /api/v1/ws/agent)',
};

const DESCRIPTION = [
  'REST surface of the API; TypeScript clients can use the same procedures over tRPC at `/trpc`.',
  '',
  'Authenticate with `Authorization: Bearer <access token>` from `POST /auth/login` (form fields `username` = email and `password`).',
  'Errors: request validation answers 422 with a FastAPI-style `detail` list; domain errors use the envelope',
  '`{"error": {"code", "message", "details"}}`; a missing bearer token is 401 `{"detail": "Not authenticated"}`.',
].join('\n');

/** Fastify reads a body on every method but GET and HEAD, so those are the operations body errors reach. */
const acceptsBody = (op: RestOperation) => op.method !== 'GET';

const isRedirect = (status: number) => status >= 300 && status < 400;

function successResponse(op: RestOperation, generated: ResponseObject | undefined): [string, ResponseObject] {
  if (isRedirect(op.successStatus))
    return [
      String(op.successStatus),
      {
        description: 'Redirect (no body)',
        headers: { Location: { description: 'Where the browser goes next', schema: { type: 'string', format: 'uri' } } },
      },
    ];
  if (op.successStatus === 204) return ['204', { description: 'Successful Response (no body)' }];
  return [String(op.successStatus), { ...generated, description: 'Successful Response' } as ResponseObject];
}

/** Every error status an operation can answer, with the response that describes it. */
function errorResponses(
  op: RestOperation,
  operation: OperationObject,
  access: Access,
  meta: Meta,
  settings: Settings,
): [string, ResponseName][] {
  const declared = new Set<number>(meta.errorStatuses ?? []);
  const list: [string, ResponseName][] = [];
  const add = (status: number, name: ResponseName, when: boolean) => when && list.push([String(status), name]);
  add(400, RESPONSE.badRequest, declared.has(400));
  add(401, access === 'public' ? RESPONSE.invalidCredentials : RESPONSE.unauthorized, access !== 'public' || declared.has(401));
  add(403, RESPONSE.forbidden, access === 'admin' || declared.has(403));
  add(404, RESPONSE.notFound, op.pathParams.length > 0 || declared.has(404));
  add(409, RESPONSE.conflict, declared.has(409));
  add(413, RESPONSE.payloadTooLarge, acceptsBody(op));
  add(415, RESPONSE.unsupportedMediaType, acceptsBody(op));
  const validates = !!operation.parameters?.length || !!operation.requestBody || acceptsBody(op);
  add(422, declared.has(422) ? RESPONSE.validationOrDomain : RESPONSE.validation, validates || declared.has(422));
  add(429, RESPONSE.tooManyRequests, settings.RATE_LIMIT_ENABLED && op.rateLimit !== 'none');
  add(500, RESPONSE.internal, true);
  add(503, RESPONSE.unavailable, declared.has(503) && !op.alsoReturns.includes(503));
  return list;
}

/** Examples on request bodies, parameters and success bodies, built from their schemas. */
function addExamples(operation: OperationObject, lookup: SchemaLookup) {
  const withExample = (media: MediaType | undefined) => {
    if (media?.schema && media.example === undefined && media.examples === undefined) media.example = exampleOf(media.schema, lookup);
  };
  for (const media of Object.values(operation.requestBody?.content ?? {})) withExample(media);
  for (const parameter of operation.parameters ?? []) {
    const value = exampleOf(parameter.schema, lookup, parameter.name);
    if (parameter.example === undefined && value !== undefined && value !== null) parameter.example = value;
  }
  for (const response of Object.values(operation.responses)) if ('content' in response) withExample(response.content?.['application/json']);
}

/** An object body with no required field may be left out: REST reads an absent body as `{}`. */
function markOptionalBody(operation: OperationObject, lookup: SchemaLookup) {
  const body = operation.requestBody;
  const media = body?.content['application/json'];
  if (!body || !media?.schema) return;
  const resolved = media.schema.$ref ? lookup(media.schema.$ref) : media.schema;
  if (resolved?.type === 'object' && !resolved.required?.length) body.required = false;
}

/** Every `$ref` target reachable from `value`, following references into the components. */
function referencedComponents(doc: OpenApiDocument): Set<string> {
  const seen = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
      return;
    }
    if (!value || typeof value !== 'object') return;
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$ref' && typeof inner === 'string' && !seen.has(inner)) {
        seen.add(inner);
        const [, , kind, name] = inner.split('/');
        visit((doc.components as Record<string, Record<string, unknown> | undefined>)[kind!]?.[name!]);
      } else visit(inner);
    }
  };
  visit(doc.paths);
  return seen;
}

/** Drops the schemas and responses no operation refers to (the generator also emits input-side twins of output schemas). */
function pruneUnusedComponents(doc: OpenApiDocument): void {
  const used = referencedComponents(doc);
  for (const kind of ['schemas', 'responses'] as const) {
    const components = doc.components[kind] ?? {};
    for (const name of Object.keys(components)) if (!used.has(`#/components/${kind}/${name}`)) delete components[name];
  }
}

export function buildOpenApiDocument(router: AnyRouter, operations: RestOperation[], settings: Settings): OpenApiDocument {
  const generate = (target: AnyRouter) =>
    generateOpenApiDocument(target as never, {
      title: settings.PROJECT_NAME,
      description: DESCRIPTION,
      version: '1.0.0',
      baseUrl: settings.API_V1_STR,
      openApiVersion: '3.1.0',
      securitySchemes: {
        [SECURITY_SCHEME]: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'The access token from POST /auth/login' },
      },
      defs: { ErrorEnvelope, HTTPValidationError, HTTPError } as never,
    }) as unknown as OpenApiDocument;
  const doc = generate(router);
  const standIns = streamStandIns(operations);
  if (standIns) {
    const streams = generate(standIns);
    Object.assign(doc.paths, streams.paths);
    Object.assign(doc.components.schemas, streams.components.schemas);
  }
  // The library's own {message, code, issues} error schemas are never sent.
  for (const name of Object.keys(doc.components.schemas)) if (name.startsWith('error.')) delete doc.components.schemas[name];
  doc.components.responses = { ...ERROR_RESPONSES }; // a copy: pruning below must not touch the shared table
  const lookup: SchemaLookup = (ref) => doc.components.schemas[ref.replace('#/components/schemas/', '')];

  const tags = new Set<string>();
  for (const op of operations) {
    const operation = doc.paths[op.openApiPath]?.[op.method.toLowerCase()];
    if (!operation) continue;
    // Public operations say so explicitly (`security: []`), so no global default can apply to them.
    operation.security = op.access === 'public' ? [] : [{ [SECURITY_SCHEME]: [] }];

    const [status, success] = op.streamed
      ? ['200', streamedSuccess(operation.responses['200'] as never)]
      : successResponse(op, operation.responses['200']);
    const responses: Record<string, ResponseObject> = { [status]: success };
    for (const also of op.alsoReturns) responses[String(also)] = { ...success, description: 'Same body, not healthy' } as ResponseObject;
    for (const [code, name] of errorResponses(op, operation, op.access, op.meta, settings)) responses[code] ??= responseRef(name);
    operation.responses = Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));

    markOptionalBody(operation, lookup);
    addExamples(operation, lookup);
    for (const tag of operation.tags ?? []) tags.add(tag);
  }
  doc.tags = [...tags].map((name) => ({ name, ...(TAG_DESCRIPTIONS[name] ? { description: TAG_DESCRIPTIONS[name] } : {}) }));
  // The project is private and published under no licence: the document says so rather than leave it out.
  doc.info.license = { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' };
  pruneUnusedComponents(doc);
  return doc;
}
