// Serves the tRPC routers as REST under API_V1_STR: one Fastify route per operation in the
// procedures' OpenAPI meta, each calling its procedure through tRPC's public callTRPCProcedure,
// plus the OpenAPI document. Errors are thrown to the app's one error handler (plugins/errors.ts),
// which answers a call's invalid input with the 422 `detail` list.
import multipart from '@fastify/multipart';
import { callTRPCProcedure } from '@trpc/server';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { appRouter, createContext } from '@personal-automations/router';
import { restOperations } from '../catalog.ts';
import { JSON_TYPE } from '../errors.ts';
import { bodyInput, queryInput } from './input.ts';
import type { RestOperation } from './operations.ts';
import { SSE_HEADERS, sseBody } from './sse.ts';

/** Body parsers for the REST routes: JSON (an empty body is "no body"), forms, anything else as text. */
async function bodyParsers(api: FastifyInstance) {
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
  // Any other media type is read as text, so that validation answers 422 (a body that is not
  // the object the operation takes), not the framework's 415.
  api.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body === '' ? undefined : body));
}

/** A streamed answer ends when the client goes away: the procedure hears it through this signal. */
function abortedOnClose(reply: FastifyReply): AbortSignal {
  const gone = new AbortController();
  reply.raw.once('close', () => gone.abort());
  return gone.signal;
}

/** SSE's Last-Event-ID header (an EventSource that reconnects sends it) as the input's `lastEventId`. */
function withLastEventId(input: unknown, request: FastifyRequest): unknown {
  const lastEventId = request.headers['last-event-id'];
  if (typeof lastEventId !== 'string' || !input || typeof input !== 'object') return input;
  return { ...input, lastEventId };
}

/** One operation's handler: its input from the request, its procedure called, its success answer. */
function handlerOf(op: RestOperation) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const params = request.params as Record<string, string>;
    // `/items/` matches `/items/:item_id` with an empty id; it is the collection path plus a slash.
    if (op.pathParams.some((name) => !params[name])) return reply.callNotFound();
    const { input, raw } = op.bodyless ? queryInput(op, request.query as Record<string, unknown>, params) : bodyInput(op, request, params);
    request.restCall = { op, raw };
    const ctx = createContext(request.server.platform, request);
    const gone = op.streamed ? abortedOnClose(reply) : undefined;
    const data = await callTRPCProcedure({
      router: appRouter,
      path: op.procedurePath,
      type: op.procedureType,
      ctx,
      getRawInput: async () => (op.streamed ? withLastEventId(input, request) : input),
      signal: gone,
      batchIndex: 0,
    });
    if (op.streamed) {
      const pingMs = request.server.platform.settings.AGENT_PING_INTERVAL_SECONDS * 1000;
      return reply
        .code(200)
        .headers(ctx.response.headers)
        .headers(SSE_HEADERS)
        .send(sseBody(data as AsyncIterable<unknown>, pingMs));
    }
    reply.code(ctx.response.status ?? op.successStatus).headers(ctx.response.headers);
    // 204 and redirects (OAuth) send no body
    const isRedirect = reply.statusCode >= 300 && reply.statusCode < 400;
    if (op.successStatus === 204 || isRedirect) return reply.send();
    return reply.header('content-type', JSON_TYPE).send(JSON.stringify(data));
  };
}

async function rest(app: FastifyInstance) {
  const { settings } = app.platform;
  const operations = restOperations();
  // Built on first request (trpc-to-openapi and the zod-to-JSON-Schema work are costly to load),
  // so the API starts without them; once built it is kept.
  let openApiDocument: Promise<unknown> | undefined;
  const documentOnce = () =>
    (openApiDocument ??= import('../openapi/document.ts').then(({ buildOpenApiDocument }) =>
      buildOpenApiDocument(appRouter, operations, settings),
    ));
  // A scope of its own under the prefix: the body parsers and the charset hook are for these routes only.
  await app.register(
    async (api) => {
      await bodyParsers(api);
      // Fastify appends `; charset=utf-8` to JSON types on send; the wire format has plain application/json.
      api.addHook('onSend', (_request, reply, payload, done) => {
        if (reply.getHeader('content-type') === 'application/json; charset=utf-8') reply.header('content-type', JSON_TYPE);
        done(null, payload);
      });
      if (settings.docsEnabled) api.get('/openapi.json', documentOnce);
      for (const op of operations)
        api.route({ method: op.method, url: op.fastifyPath, config: { rateLimitPolicy: op.rateLimit }, handler: handlerOf(op) });
    },
    { prefix: settings.API_V1_STR },
  );
}

export default fp(rest, { name: 'rest', dependencies: ['platform', 'errors', 'rate-limit'] });
