import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { Logger } from 'pino';
import type { Settings } from '@personal-automations/config';
import { openPlatform, type Platform } from '@personal-automations/platform';
import { runScheduler, runWorker } from '@personal-automations/worker';
import { detailError, unhandledToHttp } from './errors.ts';
import { buildOpenApiDocument } from './openapi/document.ts';
import { agentWsPlugin } from './plugins/agent-ws.ts';
import { serializeRequest } from './plugins/agent-ws-auth.ts';
import { corsPlugin } from './plugins/cors.ts';
import { docsPlugin } from './plugins/docs.ts';
import { drainPlugin } from './plugins/drain.ts';
import { rateLimitPlugin } from './plugins/rate-limit.ts';
import { requestIdFor, requestIdPlugin } from './plugins/request-id.ts';
import { securityHeadersPlugin, withSecurityHeaders } from './plugins/security-headers.ts';
import { trpcPlugin } from './plugins/trpc.ts';
import { buildOperations } from './rest/operations.ts';
import { frameworkError, restPlugin } from './rest/plugin.ts';
import { appRouter } from './routers/index.ts';
import { trustProxyOption } from './trust-proxy.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The parts this process runs on (database, job backend, services). */
    platform: Platform;
  }
}

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

/** The logger options, with request URLs logged without their tokens (the agent socket takes `?token=`). */
function loggerOptions(settings: Settings, logger: BuildAppOptions['logger']): FastifyServerOptions['logger'] {
  const options = logger ?? { level: settings.LOG_LEVEL, redact: REDACTED_HEADERS };
  if (typeof options !== 'object' || options === null) return options;
  return { ...options, serializers: { ...options.serializers, req: serializeRequest } };
}

/** The worker and the scheduler, in this process when the platform says no other process can reach its database. */
async function startInProcessJobs(app: FastifyInstance, platform: Platform): Promise<Array<{ close(): Promise<void> }>> {
  if (!platform.runsJobsInProcess) return [];
  const logger = app.log as unknown as Logger;
  return [await runWorker({ settings: platform.settings, platform, logger }), await runScheduler({ settings: platform.settings, platform, logger })];
}

/** An undecodable (%ZZ) or over-long path gets a FastAPI-style 422, not Fastify's own body. */
function answerBadPath(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const msg = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a path parameter is too long' : 'the path is not valid percent-encoding';
  const body = { detail: [{ type: 'value_error', loc: ['path'], msg: `Value error, ${msg}`, input: null }] };
  return reply.code(422).header('x-request-id', request.id).header('content-type', 'application/json').send(JSON.stringify(body));
}

/** The API server: tRPC at /trpc, the same routers as REST under API_V1_STR, the OpenAPI document. */
export async function buildApp({ settings, logger }: BuildAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(settings, logger),
    genReqId: requestIdFor,
    requestIdHeader: false,
    bodyLimit: BODY_LIMIT_BYTES,
    // Long path parameters reach validation (422) rather than the router's 414.
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: MAX_PATH_PARAM_LENGTH },
    frameworkErrors: withSecurityHeaders(settings, answerBadPath),
    trustProxy: trustProxyOption(settings.TRUST_PROXY),
  });

  const platform = await openPlatform(settings);
  const { services } = platform;
  app.decorate('platform', platform);
  const { level, message } = platform.describe();
  app.log[level]({ parts: platform.parts }, message);
  const jobs = await startInProcessJobs(app, platform);
  app.addHook('onClose', async () => {
    for (const job of jobs) await job.close();
    await platform.close();
  });

  // Set before any plugin is registered: each plugin's scope keeps the handlers it was created with.
  app.setNotFoundHandler((_request, reply) => {
    const { status, body } = detailError(404, 'Not Found');
    return reply.code(status).send(body);
  });
  app.setErrorHandler((error, request, reply) => {
    const framework = error instanceof Error && 'code' in error ? frameworkError(error as FastifyError) : undefined;
    const httpError = framework ?? unhandledToHttp(error, services.databaseOutage, request.log);
    return reply.code(httpError.status).headers(httpError.headers).send(httpError.body);
  });
  await app.register(requestIdPlugin);
  // before any plugin that may answer early (drain, CORS, rate limit), so those answers carry the headers too
  await app.register(securityHeadersPlugin, { settings });
  await app.register(drainPlugin);
  await app.register(corsPlugin, { settings });
  await app.register(rateLimitPlugin, { settings, services });

  const operations = buildOperations(appRouter);
  const openApiDocument = buildOpenApiDocument(appRouter, operations, settings);
  await app.register(trpcPlugin, { router: appRouter, services, settings });
  await app.register(docsPlugin, { settings });
  await app.register(
    async (api) => {
      if (settings.docsEnabled) api.get('/openapi.json', async () => openApiDocument);
      await restPlugin(api, { router: appRouter, operations, services, settings });
      await api.register(agentWsPlugin, { services, settings });
    },
    { prefix: settings.API_V1_STR },
  );

  return app;
}
