// The error responses of the REST surface, written once as `components.responses` and referenced
// by each operation that can answer them (contract sections 1.3, 1.4 and 7).

const schema = (name: string) => ({ $ref: `#/components/schemas/${name}` });

type Example = { summary: string; value: unknown };

const envelope = (code: string, message: string, details: Record<string, unknown> | null = null) => ({ error: { code, message, details } });

function jsonResponse(description: string, schemaObject: unknown, examples: Record<string, Example>, headers?: Record<string, unknown>) {
  return { description, ...(headers ? { headers } : {}), content: { 'application/json': { schema: schemaObject, examples } } };
}

const header = (description: string, type: 'string' | 'integer' = 'string') => ({ description, schema: { type } });

const WWW_AUTHENTICATE = { 'WWW-Authenticate': header('Always `Bearer`') };

/** The name of each reusable response under `#/components/responses`. */
export const RESPONSE = {
  badRequest: 'BadRequest',
  unauthorized: 'Unauthorized',
  invalidCredentials: 'InvalidCredentials',
  forbidden: 'Forbidden',
  notFound: 'NotFound',
  conflict: 'Conflict',
  payloadTooLarge: 'PayloadTooLarge',
  unsupportedMediaType: 'UnsupportedMediaType',
  validation: 'ValidationError',
  validationOrDomain: 'UnprocessableContent',
  tooManyRequests: 'TooManyRequests',
  internal: 'InternalError',
  unavailable: 'ServiceUnavailable',
} as const;

export type ResponseName = (typeof RESPONSE)[keyof typeof RESPONSE];

const validationExample: Example = {
  summary: 'A required field is missing',
  value: { detail: [{ type: 'missing', loc: ['body', 'title'], msg: 'Field required', input: {} }] },
};

export const ERROR_RESPONSES: Record<ResponseName, unknown> = {
  [RESPONSE.badRequest]: jsonResponse('The request was refused as malformed', schema('ErrorEnvelope'), {
    refused: { summary: 'Refused by the service', value: envelope('BAD_REQUEST', 'Bad request') },
  }),
  [RESPONSE.unauthorized]: jsonResponse(
    'No bearer token (`detail` shape), or an invalid, expired or revoked one, or a disabled account (error envelope)',
    { oneOf: [schema('HTTPError'), schema('ErrorEnvelope')] },
    {
      missing: { summary: 'No Authorization header', value: { detail: 'Not authenticated' } },
      invalid: { summary: 'Bad, expired or revoked token', value: envelope('AUTHENTICATION_ERROR', 'Invalid or expired token') },
    },
    WWW_AUTHENTICATE,
  ),
  [RESPONSE.invalidCredentials]: jsonResponse(
    'The credentials in the request were not accepted',
    schema('ErrorEnvelope'),
    { invalid: { summary: 'Wrong credentials', value: envelope('AUTHENTICATION_ERROR', 'Invalid email or password') } },
    WWW_AUTHENTICATE,
  ),
  [RESPONSE.forbidden]: jsonResponse('The caller lacks the required role', schema('ErrorEnvelope'), {
    admin: { summary: 'Not an admin', value: envelope('AUTHORIZATION_ERROR', "Role 'admin' required for this action") },
  }),
  [RESPONSE.notFound]: jsonResponse('No such resource, or it belongs to another user', schema('ErrorEnvelope'), {
    missing: { summary: 'Unknown id', value: envelope('NOT_FOUND', 'Item not found', { item_id: '3fa85f64-5717-4562-b3fc-2c963f66afa6' }) },
  }),
  [RESPONSE.conflict]: jsonResponse('The resource already exists', schema('ErrorEnvelope'), {
    email: { summary: 'Email taken', value: envelope('ALREADY_EXISTS', 'Email already registered', { email: 'user@example.com' }) },
  }),
  [RESPONSE.payloadTooLarge]: jsonResponse('Request body too large', schema('HTTPError'), {
    tooLarge: { summary: 'Body above the limit', value: { detail: 'Request Entity Too Large' } },
  }),
  [RESPONSE.unsupportedMediaType]: jsonResponse('A body was sent with an empty Content-Type', schema('HTTPError'), {
    empty: { summary: 'Empty Content-Type', value: { detail: 'Unsupported Media Type' } },
  }),
  [RESPONSE.validation]: jsonResponse('Validation Error', schema('HTTPValidationError'), { missing: validationExample }),
  [RESPONSE.validationOrDomain]: jsonResponse(
    'Request validation failed (`detail` list), or the service refused the values (error envelope)',
    { oneOf: [schema('HTTPValidationError'), schema('ErrorEnvelope')] },
    { missing: validationExample, refused: { summary: 'Refused by the service', value: envelope('VALIDATION_ERROR', 'Validation error') } },
  ),
  [RESPONSE.tooManyRequests]: jsonResponse(
    'Rate limit exceeded',
    schema('ErrorEnvelope'),
    { limited: { summary: 'Over the limit', value: envelope('RATE_LIMIT_EXCEEDED', 'Rate limit exceeded: 100 per 1 minute') } },
    {
      'Retry-After': header('Seconds until the window resets', 'integer'),
      'X-RateLimit-Limit': header('Requests allowed per window', 'integer'),
      'X-RateLimit-Remaining': header('Requests left in the window', 'integer'),
      'X-RateLimit-Reset': header('Seconds until the window resets', 'integer'),
    },
  ),
  [RESPONSE.internal]: jsonResponse('Unexpected error (no internals are revealed)', schema('ErrorEnvelope'), {
    unexpected: { summary: 'Unhandled failure', value: envelope('INTERNAL_ERROR', 'An unexpected error occurred') },
  }),
  [RESPONSE.unavailable]: jsonResponse('A service this operation depends on failed', schema('ErrorEnvelope'), {
    upstream: { summary: 'Upstream failure', value: envelope('EXTERNAL_SERVICE_ERROR', 'External service unavailable') },
  }),
};

export const responseRef = (name: ResponseName) => ({ $ref: `#/components/responses/${name}` });
