import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * During shutdown, responses to requests that were already in flight carry `Connection: close`,
 * so their keep-alive sockets end and the server can finish closing (Fastify only marks
 * requests that arrive after close began).
 */
async function drainOnClose(app: FastifyInstance) {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
}

export default fp(drainOnClose, { name: 'drain-on-close' });
