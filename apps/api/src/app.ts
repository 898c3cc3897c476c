import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import type { Settings } from '@personal-automations/config';
import { logOptions } from '@personal-automations/observability';
import { openPlatform } from '@personal-automations/platform';
import { badPathError, sendHttpError } from './errors.ts';
import agentWs from './plugins/agent-ws.ts';
import { serializeRequest } from './plugins/agent-ws-auth.ts';
import cors from './plugins/cors.ts';
import docs from './plugins/docs.ts';
import drain from './plugins/drain.ts';
import errors from './plugins/errors.ts';
import metrics from './plugins/metrics.ts';
import platform from './plugins/platform.ts';
import rateLimit from './plugins/rate-limit.ts';
import requestId, { requestIdFor } from './plugins/request-id.ts';
import securityHeaders, { withSecurityHeaders } from './plugins/security-headers.ts';
import tracing from './plugins/tracing.ts';
import trpc from './plugins/trpc.ts';
import { OneLinePerRequest } from './request-log.ts';
import rest from './rest/plugin.ts';
import { trustProxyOption } from './trust-proxy.ts';

export type BuildAppOptions = {
  settings: Settings;
  /** Fastify logger options; pino at LOG_LEVEL by default. */
  logger?: FastifyServerOptions['logger'];
};

/** Bodies above this size get 413 (the largest legitimate body, a chat message, is far smaller). */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/** Longest path parameter the router accepts (ids are 36 characters). */
export const MAX_PATH_PARAM_LENGTH = 2048;

const REDACTED_HEADERS = ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'];

/**
 * The logger options, with request URLs logged without their tokens (the agent socket takes
 * `?token=`), the trace ids on each line when tracing is on, and pretty lines on a local terminal.
 */
function loggerOptions(settings: Settings, logger: BuildAppOptions['logger']): FastifyServerOptions['logger'] {
  const defaults: FastifyServerOptions['logger'] = {
    level: settings.LOG_LEVEL,
    redact: REDACTED_HEADERS,
    ...logOptions(settings, { traceIds: false }),
  };
  const options = logger ?? defaults;
  if (typeof options !== 'object' || options === null) return options;
  return { ...options, serializers: { ...options.serializers, req: serializeRequest } };
}

/** A URL Fastify cannot route (bad percent-encoding, an over-long parameter) is answered before any hook runs. */
function answerBadPath(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  return sendHttpError(reply.header('x-request-id', request.id), badPathError(error));
}

/** The API server: tRPC at /trpc, the same routers as REST under API_V1_STR, the OpenAPI document. */
export async function buildApp({ settings, logger }: BuildAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(settings, logger),
    genReqId: requestIdFor,
    logController: new OneLinePerRequest(),
    requestIdHeader: false,
    bodyLimit: BODY_LIMIT_BYTES,
    // Long path parameters reach validation (422) rather than the router's 414.
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: MAX_PATH_PARAM_LENGTH },
    frameworkErrors: withSecurityHeaders(settings, answerBadPath),
    trustProxy: trustProxyOption(settings.TRUST_PROXY),
  });

  // In this order: the platform first, then the one error pipeline (a scope keeps the handlers it
  // was created with), the hooks every answer needs, the limiter, then the routes.
  await app.register(platform, { platform: await openPlatform(settings) });
  // first of the hooks, so answers given early (rate limit, CORS, drain) are measured too
  if (settings.METRICS_ENABLED) await app.register(metrics);
  if (settings.tracingEnabled) await app.register(tracing);
  await app.register(errors);
  await app.register(requestId);
  // before any plugin that may answer early (drain, CORS, rate limit), so those answers carry the headers too
  await app.register(securityHeaders);
  await app.register(drain);
  await app.register(cors);
  await app.register(rateLimit);
  await app.register(trpc);
  await app.register(docs);
  await app.register(rest);
  await app.register(agentWs);
  return app;
}
