// Rate limiting (contract section 7): RATE_LIMIT_REQUESTS per RATE_LIMIT_PERIOD per client, and a
// tighter per-IP budget for the procedures whose meta says `rateLimit: 'auth'` (login, register).
// Counters live in Redis, so every API process draws on the same budgets; without Redis they are
// counted in this process's memory (the platform's choice).
import fastifyRateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import type { Settings } from '@personal-automations/config';
import { firstConnection, RateLimitError, type AccessClaims, type Services } from '@personal-automations/services';
import { bearerToken } from '../credentials.ts';
import { appErrorToHttp } from '../errors.ts';
import type { Meta, RateLimitPolicy } from '../trpc/trpc.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's policy, or how to pick it per request (tRPC serves every procedure on one route). */
    rateLimitPolicy?: RateLimitPolicy | ((request: FastifyRequest) => RateLimitPolicy);
    /** The route answers an exceeded limit itself, in its own error format (tRPC), from `request.rateLimitExceeded`. */
    rateLimitAnswersItself?: boolean;
  }
  interface FastifyRequest {
    /** Set, on a route that answers it itself, when the request is over its budget. */
    rateLimitExceeded?: RateLimitError;
    /** The access token's claims, when the limiter already verified them (so auth need not again). */
    accessClaims?: AccessClaims;
  }
}

/** A procedure's policy: the one its meta declares, else none for probes (tag `health`), else the default. */
export function rateLimitPolicyOf(meta: Meta | undefined): RateLimitPolicy {
  if (meta?.rateLimit) return meta.rateLimit;
  return meta?.openapi?.tags?.includes('health') ? 'none' : 'default';
}

const STRICTNESS: RateLimitPolicy[] = ['none', 'default', 'auth'];

/** One request running several procedures (a tRPC batch) is counted under the strictest of their policies. */
export const strictestPolicy = (policies: RateLimitPolicy[]): RateLimitPolicy =>
  policies.reduce<RateLimitPolicy>((a, b) => (STRICTNESS.indexOf(b) > STRICTNESS.indexOf(a) ? b : a), 'none');

const NAMED_PERIODS: Record<number, string> = { 1: '1 second', 60: '1 minute', 3600: '1 hour', 86400: '1 day' };

/** The limit as slowapi words it: "100 per 1 minute", "10 per 30 seconds". */
export const limitText = (max: number, periodSeconds: number): string =>
  `${max} per ${NAMED_PERIODS[periodSeconds] ?? `${periodSeconds} seconds`}`;

/** Prefix of the Redis counters; PROJECT_NAME keeps two deployments sharing one Redis apart. */
export const rateLimitKeyPrefix = (settings: Settings): string => `${settings.PROJECT_NAME}:rate-limit:`;

export type RateLimitPluginOptions = {
  settings: Settings;
  tokens: Services['tokens'];
  /** Where the counters live; undefined counts in memory. The plugin disconnects it at close. */
  redis: Redis | undefined;
};

type Budget = { max: number; periodSeconds: number };

// Counter keys carry their budget: `auth:ip:<ip>` for auth procedures, else `user:<id>` or `ip:<ip>`.
const AUTH_KEY = 'auth:';
const FIRST_CONNECTION_WAIT_MS = 2000;

function policyOf(request: FastifyRequest): RateLimitPolicy {
  // A CORS preflight carries no credentials and announces a request that is itself counted.
  if (request.method === 'OPTIONS' && request.headers['access-control-request-method']) return 'none';
  const declared = request.routeOptions.config?.rateLimitPolicy;
  return typeof declared === 'function' ? declared(request) : (declared ?? 'default');
}

/** The user behind a validly signed access token, else the IP. Signature and expiry only: no database query. */
async function clientKey(request: FastifyRequest, tokens: Services['tokens']): Promise<string> {
  const ipKey = `ip:${normalizeIP(request.ip)}`;
  const token = bearerToken(request.headers.authorization);
  if (!token) return ipKey;
  try {
    request.accessClaims = await tokens.verifyAccessToken(token);
    return `user:${request.accessClaims.sub}`;
  } catch {
    return ipKey;
  }
}

async function rateLimit(app: FastifyInstance, { settings, tokens, redis }: RateLimitPluginOptions) {
  if (!settings.RATE_LIMIT_ENABLED) return;
  const budgets: Record<'default' | 'auth', Budget> = {
    default: { max: settings.RATE_LIMIT_REQUESTS, periodSeconds: settings.RATE_LIMIT_PERIOD },
    auth: { max: settings.RATE_LIMIT_AUTH_REQUESTS, periodSeconds: settings.RATE_LIMIT_AUTH_PERIOD },
  };
  const budgetOf = (key: string): Budget => (key.startsWith(AUTH_KEY) ? budgets.auth : budgets.default);

  if (redis) {
    app.addHook('onClose', async () => redis.disconnect());
    await firstConnection(redis, FIRST_CONNECTION_WAIT_MS);
  }

  await app.register(fastifyRateLimit, {
    // No route hooks of its own: the hook below picks the budget per request (tRPC serves every
    // procedure on one route) and answers 429 itself, rather than throwing into each scope's error handler.
    global: false,
    ...(redis && { redis }),
    nameSpace: rateLimitKeyPrefix(settings),
    skipOnError: true,
    keyGenerator: (request) => (policyOf(request) === 'auth' ? `${AUTH_KEY}ip:${normalizeIP(request.ip)}` : clientKey(request, tokens)),
    max: (_request, key) => budgetOf(key).max,
    timeWindow: (_request, key) => budgetOf(key).periodSeconds * 1000,
  });
  const consume = app.createRateLimit();
  app.decorateRequest('rateLimitExceeded', undefined);
  app.decorateRequest('accessClaims', undefined);

  app.addHook('onRequest', async (request, reply) => {
    if (policyOf(request) === 'none') return;
    const limit = await consume(request);
    if (limit.isAllowed) return;
    if (limit.isExceeded) {
      const error = new RateLimitError(`Rate limit exceeded: ${limitText(limit.max, limit.timeWindow / 1000)}`, Math.max(1, limit.ttlInSeconds));
      const { status, headers, body } = appErrorToHttp(error);
      reply.headers({ 'x-ratelimit-limit': limit.max, 'x-ratelimit-remaining': 0, 'x-ratelimit-reset': limit.ttlInSeconds, ...headers });
      if (request.routeOptions.config?.rateLimitAnswersItself) {
        request.rateLimitExceeded = error;
        return;
      }
      return reply.code(status).header('content-type', 'application/json').send(JSON.stringify(body));
    }
    // ttl 0: Redis could not be asked (skipOnError), so there is no count to report.
    if (limit.ttl > 0) reply.headers({ 'x-ratelimit-limit': limit.max, 'x-ratelimit-remaining': limit.remaining, 'x-ratelimit-reset': limit.ttlInSeconds });
  });
}

/** Applies to every route of the app (fastify-plugin: not encapsulated). Register before the routes. */
export const rateLimitPlugin = fp(rateLimit, { name: 'rate-limit' });
