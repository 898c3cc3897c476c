// The OpenAPI 3.1 document for /api/v1, generated from the same routers and operation table that
// serve REST, then given the contract's real responses (success status, error bodies).
import type { AnyRouter } from '@trpc/server';
import { generateOpenApiDocument } from 'trpc-to-openapi';
import { ErrorEnvelope, HTTPError, HTTPValidationError } from '@personal-automations/contracts';
import type { Settings } from '@personal-automations/config';
import type { RestOperation } from '../rest/operations.ts';

type ResponseObject = { description: string; content?: Record<string, { schema: unknown }>; headers?: Record<string, unknown> };
type OperationObject = { responses: Record<string, ResponseObject>; security?: unknown[]; parameters?: unknown[]; requestBody?: unknown };
type Document = { paths: Record<string, Record<string, OperationObject>>; components?: { schemas?: Record<string, unknown> } };

const json = (schemaName: string, description: string, extra: Partial<ResponseObject> = {}): ResponseObject => ({
  description,
  content: { 'application/json': { schema: { $ref: `#/components/schemas/${schemaName}` } } },
  ...extra,
});

const ERROR_RESPONSES = {
  unauthorized: json('ErrorEnvelope', 'Missing, invalid or expired credentials', { headers: { 'WWW-Authenticate': { schema: { type: 'string' } } } }),
  notFound: json('ErrorEnvelope', 'Not found'),
  validation: json('HTTPValidationError', 'Validation Error'),
  tooLarge: json('HTTPError', 'Request body too large'),
  internal: json('ErrorEnvelope', 'Unexpected error'),
};

export function buildOpenApiDocument(router: AnyRouter, operations: RestOperation[], settings: Settings) {
  const doc = generateOpenApiDocument(router as never, {
    title: settings.PROJECT_NAME,
    version: '1.0.0',
    baseUrl: settings.API_V1_STR,
    openApiVersion: '3.1.0',
    securitySchemes: { HTTPBearer: { type: 'http', scheme: 'bearer' } },
    defs: { ErrorEnvelope, HTTPValidationError, HTTPError } as never,
  }) as unknown as Document;

  for (const op of operations) {
    const operation = doc.paths[op.openApiPath]?.[op.method.toLowerCase()];
    if (!operation) continue;
    const success = operation.responses['200'];
    const responses: Record<string, ResponseObject> = {};
    responses[String(op.successStatus)] =
      op.successStatus === 204 ? { description: 'Successful Response' } : { ...success, description: 'Successful Response' };
    if (operation.security?.length) responses['401'] = ERROR_RESPONSES.unauthorized;
    if (op.pathParams.length) responses['404'] = ERROR_RESPONSES.notFound;
    if (operation.parameters?.length || operation.requestBody) responses['422'] = ERROR_RESPONSES.validation;
    if (operation.requestBody) responses['413'] = ERROR_RESPONSES.tooLarge;
    for (const status of op.alsoReturns) responses[String(status)] = { ...success, description: 'Same body, not healthy' };
    responses['500'] = ERROR_RESPONSES.internal;
    operation.responses = responses;
  }
  // The library's own {message, code, issues} error schemas are no longer referenced.
  for (const name of Object.keys(doc.components?.schemas ?? {})) if (name.startsWith('error.')) delete doc.components!.schemas![name];
  return doc;
}
