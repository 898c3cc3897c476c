// Rate limiting (contract sections 7 and 7.1): RATE_LIMIT_REQUESTS per RATE_LIMIT_PERIOD per
// client, and a tighter per-IP budget for the procedures whose meta says `rateLimit: 'auth'`
// (login, register). Every procedure call counts, each on its own budget: a tRPC batch of ten
// logins draws ten points from the auth budget. The counters are the services' RateLimits
// (Redis, shared by every API process, or this process's memory).
import { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { bearerToken, type RateLimitPolicy } from '@personal-automations/router';
import { type AccessClaims, type Draw, RateLimitError, type RateLimits, type Services } from '@personal-automations/services';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route's policy, or the policies of the calls a request carries, one per call (tRPC
     * serves every procedure, and batches of them, on one route).
     */
    rateLimitPolicy?: RateLimitPolicy | ((request: FastifyRequest) => RateLimitPolicy[]);
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

/** The policy of a call that names no procedure: the strictest, in case it does run one after all. */
export const UNKNOWN_CALL_POLICY: RateLimitPolicy = 'auth';

const NAMED_PERIODS: Record<number, string> = { 1: '1 second', 60: '1 minute', 3600: '1 hour', 86400: '1 day' };

/** The limit as the 429's message states it: "100 per 1 minute", "10 per 30 seconds" (a named period when there is one). */
export const limitText = (max: number, periodSeconds: number): string =>
  `${max} per ${NAMED_PERIODS[periodSeconds] ?? `${periodSeconds} seconds`}`;

function policiesOf(request: FastifyRequest): RateLimitPolicy[] {
  // A CORS preflight carries no credentials and announces a request that is itself counted.
  if (request.method === 'OPTIONS' && request.headers['access-control-request-method']) return [];
  const declared = request.routeOptions.config?.rateLimitPolicy;
  return typeof declared === 'function' ? declared(request) : [declared ?? 'default'];
}

/** The client's address as a key: IPv4, or the /64 of an IPv6 address (one host holds a whole /64). */
const ipKey = (request: FastifyRequest): string => `ip:${normalizeIP(request.ip)}`;

/** The user behind a validly signed access token, else the IP. Signature and expiry only: no database query. */
async function clientKey(request: FastifyRequest, tokens: Services['tokens']): Promise<string> {
  const token = bearerToken(request.headers.authorization);
  if (!token) return ipKey(request);
  try {
    request.accessClaims = await tokens.verifyAccessToken(token);
    return `user:${request.accessClaims.sub}`;
  } catch {
    return ipKey(request);
  }
}

/** Draws each budget the calls use, as many points as calls, at once. */
async function drawFor(request: FastifyRequest, policies: RateLimitPolicy[], { rateLimits, tokens }: Services): Promise<Draw[]> {
  const count = (policy: RateLimitPolicy) => policies.filter((p) => p === policy).length;
  const draws: Promise<Draw>[] = [];
  if (count('auth')) draws.push(rateLimits.consume('auth', ipKey(request), count('auth')));
  if (count('default')) draws.push(clientKey(request, tokens).then((key) => rateLimits.consume('default', key, count('default'))));
  return Promise.all(draws);
}

function exceededError(draw: Extract<Draw, { counted: true }>): RateLimitError {
  return new RateLimitError(`Rate limit exceeded: ${limitText(draw.limit, draw.periodSeconds)}`, draw.resetSeconds);
}

async function rateLimit(app: FastifyInstance) {
  const { services } = app.platform;
  const rateLimits: RateLimits = services.rateLimits;
  if (!rateLimits.enabled) return;
  app.decorateRequest('rateLimitExceeded', undefined);
  app.decorateRequest('accessClaims', undefined);

  app.addHook('onRequest', async (request, reply) => {
    const policies = policiesOf(request).filter((policy) => policy !== 'none');
    if (!policies.length) return;
    const draws = (await drawFor(request, policies, services)).filter((draw) => draw.counted);
    // The headers report the budget that refused, else the client's default one (the last drawn).
    const shown = draws.find((draw) => !draw.allowed) ?? draws.at(-1);
    if (!shown) return; // nothing counted: the store could not be asked
    reply.headers({ 'x-ratelimit-limit': shown.limit, 'x-ratelimit-remaining': shown.remaining, 'x-ratelimit-reset': shown.resetSeconds });
    if (shown.allowed) return;
    const error = exceededError(shown);
    // tRPC answers it in its own format (createContext reads it); every other route through the error handler.
    if (request.routeOptions.config?.rateLimitAnswersItself) request.rateLimitExceeded = error;
    else throw error;
  });
}

/** Applies to every route of the app (fastify-plugin: not encapsulated). Register before the routes. */
export default fp(rateLimit, { name: 'rate-limit', dependencies: ['platform', 'errors'] });
