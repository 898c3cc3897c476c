import { randomUUID } from 'node:crypto';
import type { FastifyInstance, RawRequestDefaultExpression } from 'fastify';
import fp from 'fastify-plugin';

// A client's X-Request-ID is echoed when it is a sane token; anything else gets a fresh UUID,
// so a caller cannot push arbitrary text into logs or headers.
const ACCEPTABLE = /^[\w.:@/+=-]{1,200}$/;

export function requestIdFor(req: RawRequestDefaultExpression): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && ACCEPTABLE.test(incoming) ? incoming : randomUUID();
}

/** Every response, errors included, carries the request's id. */
async function requestId(app: FastifyInstance) {
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
}

export default fp(requestId, { name: 'request-id' });
