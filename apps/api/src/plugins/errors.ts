// The one error handler and the one not-found handler of the whole app, installed before any
// other plugin (a scope keeps the handlers it was created with), so every route, hook and
// framework answer ends in errors.ts.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { restOperations } from '../catalog.ts';
import { httpErrorOf, notFoundAnswer, type RestCall, sendHttpError } from '../errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by a REST route before it calls its procedure: its operation and input, for 422 messages. */
    restCall?: RestCall;
  }
}

async function errorPipeline(app: FastifyInstance) {
  const { platform } = app;
  const operations = restOperations();
  const prefix = platform.settings.API_V1_STR;
  app.decorateRequest('restCall', undefined);
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) =>
    sendHttpError(reply, httpErrorOf(error, request.restCall, platform.services.databaseOutage, request.log)),
  );
  app.setNotFoundHandler((request, reply) => sendHttpError(reply, notFoundAnswer(request.url, prefix, operations)));
}

export default fp(errorPipeline, { name: 'errors', dependencies: ['platform'] });
