// Security headers (helmet) on every response: REST, tRPC, errors, 404s. The API answers JSON
// and renders no page, so its Content-Security-Policy lets a response load nothing and be framed
// by nobody; the docs page (plugins/docs.ts) widens it for its own routes. helmet decides the
// headers; they depend only on the settings, so they are worked out once at start and set on each
// response as they are (helmet's middleware would rebuild the policy text for every response).
import type { IncomingMessage, ServerResponse } from 'node:http';
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

/** The headers helmet sets for these settings, by running its middleware once on a response that only records them. */
export function securityHeadersFor(settings: Settings): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: unknown) => {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
  };
  helmet(helmetOptions(settings))({} as IncomingMessage, recorder as unknown as ServerResponse, () => undefined);
  return headers;
}

async function securityHeaders(app: FastifyInstance) {
  const headers = securityHeadersFor(app.platform.settings);
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers);
    done();
  });
}

export default fp(securityHeaders, { name: 'security-headers', dependencies: ['platform'] });

type FrameworkErrorAnswer = (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => unknown;

/**
 * Fastify answers a URL it cannot route (`frameworkErrors`: bad percent-encoding, an over-long
 * path parameter) before any hook runs, so the plugin's hook never sees those answers: this
 * wraps such an answer to set the same headers first.
 */
export function withSecurityHeaders(settings: Settings, answer: FrameworkErrorAnswer): FrameworkErrorAnswer {
  const headers = securityHeadersFor(settings);
  return (error, request, reply) => {
    reply.headers(headers);
    return answer(error, request, reply);
  };
}
