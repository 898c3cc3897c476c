// Serves the tRPC routers as FastAPI-compatible REST: one Fastify route per operation in the
// routers' OpenAPI meta, called through a tRPC caller, with FastAPI's status codes and bodies.
import multipart from '@fastify/multipart';
import type { AnyRouter } from '@trpc/server';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { appErrorOf, appErrorToHttp, detailError, unhandledToHttp, type HttpError } from '../errors.ts';
import { createContext, type ContextDeps } from '../trpc/context.ts';
import { bodyInput, queryInput } from './input.ts';
import { allowedMethods, type RestOperation } from './operations.ts';
import { boundedInput, inputIssuesOf, issueToValidationError } from './validation.ts';

export type RestPluginOptions = ContextDeps & { router: AnyRouter; operations: RestOperation[] };

type Procedure = (input: unknown) => Promise<unknown>;

/** The original sent plain `application/json` (Fastify's reply.type() would add a charset). */
const JSON_TYPE = 'application/json';

function send(reply: FastifyReply, error: HttpError) {
  return reply.code(error.status).headers(error.headers).header('content-type', JSON_TYPE).send(JSON.stringify(error.body));
}

/** Any error a procedure call can end with, as the REST response to send. */
function toHttpError(error: unknown, op: RestOperation, raw: unknown): HttpError | undefined {
  const issues = inputIssuesOf(error);
  if (issues) return { status: 422, headers: {}, body: { detail: issues.map((i) => issueToValidationError(i, boundedInput(raw), op, op.bodyless)) } };
  const appError = appErrorOf(error);
  if (appError) return appErrorToHttp(appError);
  return undefined;
}

const jsonInvalid = (message: string): HttpError => ({
  status: 422,
  headers: {},
  body: { detail: [{ type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error', input: {}, ctx: { error: message } }] },
});

/** Fastify's own request errors (body parsing, size) in FastAPI's shapes; undefined for any other error. */
export function frameworkError(error: FastifyError): HttpError | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return jsonInvalid(error.message);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return detailError(413, 'Request Entity Too Large');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return detailError(400, 'Invalid Content-Length');
  }
  if (error instanceof SyntaxError) return jsonInvalid(error.message);
  // The form parser's own failures (no boundary, truncated body): FastAPI's answer to an unreadable form.
  if (error.code?.startsWith('FST_INVALID_MULTIPART') || /^(Multipart|Unexpected end of)/.test(error.message)) return detailError(400, 'There was an error parsing the body');
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) return detailError(error.statusCode, error.message);
  return undefined;
}

export async function restPlugin(api: FastifyInstance, options: RestPluginOptions) {
  const { router, operations, ...deps } = options;
  const createCaller = (router as unknown as { createCaller: (ctx: unknown) => Record<string, unknown> }).createCaller;

  // JSON: an empty body is "no body" (an optional body may be absent), not a parse error.
  const parseJson = api.getDefaultJsonParser('error', 'error');
  api.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = String(body);
    if (!text.trim()) return done(null, undefined);
    return parseJson(req, text, done);
  });
  api.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });
  // multipart/form-data (accepted by login, like urlencoded): fields become the body, no files kept.
  await api.register(multipart, { attachFieldsToBody: 'keyValues', limits: { fileSize: 0, files: 0, fields: 50 } });
  // Any other media type is read as text, so the route can answer 422 as FastAPI does, not 415.
  api.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body === '' ? undefined : body));

  // Fastify appends `; charset=utf-8` to JSON types on send; the wire format has plain application/json.
  api.addHook('onSend', async (_request, reply, payload) => {
    if (reply.getHeader('content-type') === 'application/json; charset=utf-8') reply.header('content-type', JSON_TYPE);
    return payload;
  });

  for (const op of operations) {
    const segments = op.procedurePath.split('.');
    api.route({
      method: op.method,
      url: op.fastifyPath,
      config: { rateLimitPolicy: op.rateLimit },
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const params = request.params as Record<string, string>;
        // `/items/` matches `/items/:item_id` with an empty id; it is the collection path plus a slash.
        if (op.pathParams.some((name) => !params[name])) return reply.callNotFound();
        const { input, raw } = op.bodyless ? queryInput(op, request.query as Record<string, unknown>, params) : bodyInput(op, request, params);
        const ctx = createContext(deps, 'rest', request);
        try {
          const procedure = segments.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], createCaller(ctx)) as Procedure;
          const data = await procedure(input);
          reply.code(ctx.response.status ?? op.successStatus).headers(ctx.response.headers);
          // 204 and redirects (OAuth) send no body
          const isRedirect = reply.statusCode >= 300 && reply.statusCode < 400;
          if (op.successStatus === 204 || isRedirect) return reply.send();
          return reply.header('content-type', JSON_TYPE).send(JSON.stringify(data));
        } catch (error) {
          const httpError = toHttpError(error, op, raw);
          if (httpError) return send(reply, httpError);
          throw error; // unexpected: logged and answered 500 by the error handler
        }
      },
    });
  }

  api.setErrorHandler((error: FastifyError, request, reply) =>
    send(reply, frameworkError(error) ?? unhandledToHttp(error, deps.services.databaseOutage, request.log)),
  );

  // Unknown path → 404; known path, other method → 405 with Allow; a collection path with a
  // trailing slash → 307 to the path without it (Starlette's redirect_slashes).
  api.setNotFoundHandler((request, reply) => {
    const [pathname = '', query] = request.url.split('?', 2);
    const relative = pathname.slice(api.prefix.length) || '/';
    if (relative.length > 1 && relative.endsWith('/') && allowedMethods(operations, relative.slice(0, -1)).length) {
      const location = pathname.slice(0, -1) + (query !== undefined ? `?${query}` : '');
      return reply.code(307).header('location', location).send();
    }
    const allowed = allowedMethods(operations, relative);
    if (allowed.length) return send(reply, detailError(405, 'Method Not Allowed', { allow: allowed.join(', ') }));
    return send(reply, detailError(404, 'Not Found'));
  });
}
