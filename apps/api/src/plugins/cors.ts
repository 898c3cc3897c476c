import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * CORS for the browsers on CORS_ORIGINS: a listed origin is echoed back with credentials allowed, a
 * preflight from a listed origin gets 200 and one from any other origin gets 400 "Disallowed CORS
 * origin": the answers the frontend on those origins was written against (docs/compatibility.md).
 */
async function corsPolicy(app: FastifyInstance) {
  const { settings } = app.platform;
  const anyOrigin = settings.CORS_ORIGINS.includes('*');
  const allowed = new Set(settings.CORS_ORIGINS);
  const isAllowed = (origin: string | undefined) => !!origin && (anyOrigin || allowed.has(origin));
  const list = (values: string[]) => (values.includes('*') ? undefined : values);

  app.addHook('onRequest', (request, reply, done) => {
    const origin = request.headers.origin;
    if (request.method === 'OPTIONS' && origin && request.headers['access-control-request-method'] && !isAllowed(origin)) {
      reply.code(400).type('text/plain; charset=utf-8').send('Disallowed CORS origin');
      return;
    }
    done();
  });
  await app.register(cors, {
    origin: (origin, done) => done(null, isAllowed(origin)),
    credentials: settings.CORS_ALLOW_CREDENTIALS,
    methods: list(settings.CORS_ALLOW_METHODS) ?? ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS'],
    allowedHeaders: list(settings.CORS_ALLOW_HEADERS),
    optionsSuccessStatus: 200,
    strictPreflight: false,
  });
}

export default fp(corsPolicy, { name: 'cors-policy', dependencies: ['platform'] });
