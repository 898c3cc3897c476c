// Security headers (helmet) on every response: REST, tRPC, errors, 404s. The API answers JSON
// and renders no page, so its Content-Security-Policy lets a response load nothing and be framed
// by nobody; the docs page (plugins/docs.ts) widens it for its own routes.
import fastifyHelmet from '@fastify/helmet';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import helmet, { type HelmetOptions } from 'helmet';
import type { Settings } from '@personal-automations/config';

/** Directive name → sources, as they appear in the header (`'none'`, `'self'`, `data:`, hashes). */
export type CspDirectives = Record<string, string[]>;

/** The JSON API's policy: a response of this server may load nothing, and no page may frame it. */
export const API_CSP: CspDirectives = {
  'default-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"],
};

/** The header value of a policy, written as helmet writes it. */
export const cspHeader = (directives: CspDirectives): string =>
  Object.entries(directives)
    .map(([name, sources]) => `${name} ${sources.join(' ')}`)
    .join(';');

/** A year, the value HSTS preload lists ask for. */
const HSTS_MAX_AGE_SECONDS = 365 * 24 * 60 * 60;

/** The one set of options, for the plugin and for the answers given before any hook runs. */
function helmetOptions(settings: Settings) {
  return {
    contentSecurityPolicy: { useDefaults: false, directives: API_CSP },
    // Tokens travel in URLs (the OAuth callback's redirect, the agent socket's ?token=): no Referer may carry them on.
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
    // Only production is known to be served over HTTPS; HSTS on a laptop's http://localhost would
    // make the browser refuse plain HTTP there for a year.
    strictTransportSecurity: settings.isProduction ? { maxAge: HSTS_MAX_AGE_SECONDS, includeSubDomains: true } : false,
  } satisfies HelmetOptions;
}

async function securityHeaders(app: FastifyInstance) {
  await app.register(fastifyHelmet, helmetOptions(app.platform.settings));
}

export default fp(securityHeaders, { name: 'security-headers', dependencies: ['platform'] });

type FrameworkErrorAnswer = (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => unknown;

/**
 * Fastify answers a URL it cannot route (`frameworkErrors`: bad percent-encoding, an over-long
 * path parameter) before any hook runs, so the plugin's hook never sees those answers: this
 * wraps such an answer to set the same headers first.
 */
export function withSecurityHeaders(settings: Settings, answer: FrameworkErrorAnswer): FrameworkErrorAnswer {
  const setHeaders = helmet(helmetOptions(settings));
  return (error, request, reply) => {
    setHeaders(request.raw, reply.raw, () => undefined);
    return answer(error, request, reply);
  };
}
