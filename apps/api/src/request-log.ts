// One log line per request, when its answer has gone: method, URL (tokens redacted), status and
// time. Fastify's own request logging writes two lines per request (one on arrival, with the
// URL; one at the end, with the status): on a busy API at `info` that doubles the log volume for
// nothing the single line lacks. A WebSocket upgrade never completes as a request (the socket
// takes over), so it gets its line when it arrives.
import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

export class OneLinePerRequest extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    if (request.raw.headers.upgrade === undefined || this.isLogDisabled(request)) return;
    request.log.info({ req: request }, 'upgrade requested');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    const fields = { req: request, res: reply, responseTime: reply.elapsedTime };
    if (error) reply.log.error({ ...fields, err: error }, 'request errored');
    else reply.log.info(fields, 'request completed');
  }
}
