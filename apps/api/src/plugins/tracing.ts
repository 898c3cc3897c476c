// Names each request's server span (made by the HTTP instrumentation, which knows only the method)
// after its route template, `POST /api/v1/items`, and records the template as `http.route`, so
// traces group by route as the metrics do and never by a path holding ids; and binds the trace and
// span ids to the request's logger, so every line of the request (its last one, written after the
// span has ended, too) leads to its trace. Registered only when tracing is on.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Logger } from 'pino';
import { activeTraceIds, describeActiveSpan } from '@personal-automations/observability/trace-hooks';

async function tracing(app: FastifyInstance) {
  app.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url;
    if (route) describeActiveSpan(`${request.method} ${route}`, { 'http.route': route, 'request.id': request.id });
    const ids = activeTraceIds();
    // Fastify's logger is pino's, whose children can take more bindings
    if (ids) (request.log as Partial<Logger>).setBindings?.(ids);
    done();
  });
}

export default fp(tracing, { name: 'tracing' });
