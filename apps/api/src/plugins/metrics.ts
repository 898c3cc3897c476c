// The HTTP families of the metrics: every answered request by method, route template and status
// (the template, `/api/v1/items/:item_id`, never the path, which holds ids), and the requests in
// flight. Registered before any plugin that may answer early (rate limit, CORS, drain), so those
// answers count too. Each request costs one gauge step each way and one histogram observation,
// with the time Fastify already measured. The endpoint is not here: it listens on a port of its
// own (main.ts), never on the public router.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { httpRequestsInFlight, observeRequest } from '@personal-automations/observability';

declare module 'fastify' {
  interface FastifyRequest {
    /** Counted in flight, until its answer is sent or the client goes away, whichever comes first. */
    inFlight: boolean;
  }
}

/** A request no route matched (404, 405, a bad path) has no template; its path is not used. */
const UNMATCHED = 'unmatched';

function settled(request: FastifyRequest): boolean {
  if (!request.inFlight) return false;
  request.inFlight = false;
  httpRequestsInFlight.dec();
  return true;
}

async function metrics(app: FastifyInstance) {
  app.decorateRequest('inFlight', false);
  app.addHook('onRequest', (request, _reply, done) => {
    // A WebSocket upgrade never completes as a request; the agent socket has its own gauge.
    if (request.raw.headers.upgrade === undefined) {
      request.inFlight = true;
      httpRequestsInFlight.inc();
    }
    done();
  });
  app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done) => {
    if (settled(request)) {
      observeRequest(request.method, request.routeOptions.url ?? UNMATCHED, reply.statusCode, reply.elapsedTime / 1000);
    }
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    settled(request);
    done();
  });
}

export default fp(metrics, { name: 'metrics' });
