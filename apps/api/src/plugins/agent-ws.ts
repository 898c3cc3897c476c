// WS {API_V1_STR}/ws/agent: the streaming chat socket. This plugin authenticates the upgrade,
// decodes frames, forwards events (agent-ws-events.ts: frames, backpressure), pings the peer and
// turns the ways a connection ends into close codes; the turn itself (model, tools, saving) and the bounds on a socket (its login, turn
// budget, idle time, sockets per user) are the services' AgentConnection.
import websocket from '@fastify/websocket';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { RawData, WebSocket } from 'ws';
import { agentOpenSockets } from '@personal-automations/observability';
import { type AgentConnection, BadRequestError, type ConnectionEnd, type Services, type SocketLogin } from '@personal-automations/services';
import { AUTH_FAILED_CLOSE_CODE, authenticateSocket, type SocketAuth } from './agent-ws-auth.ts';
import { SocketEvents } from './agent-ws-events.ts';

export const AGENT_WS_PATH = '/ws/agent';
/** A larger frame is answered with an `error` event and otherwise ignored. */
export const MAX_FRAME_BYTES = 64 * 1024;
/** The WebSocket layer does not even buffer frames above this: it closes with 1009. */
export const MAX_PAYLOAD_BYTES = 1024 * 1024;

/** A connection's login ended (revoked, expired, user disabled): the refused-login code, so clients handle both alike. */
export const SESSION_ENDED_CLOSE_CODE = AUTH_FAILED_CLOSE_CODE;
/** No frame and no running turn for AGENT_IDLE_TIMEOUT_SECONDS (408 is HTTP's request timeout). */
export const IDLE_CLOSE_CODE = 4008;
/** The user already holds AGENT_MAX_SOCKETS_PER_USER sockets (429 is HTTP's too many requests). */
export const SOCKET_LIMIT_CLOSE_CODE = 4029;
/** Something unexpected failed while the connection was being opened. */
const INTERNAL_ERROR_CLOSE_CODE = 1011;

const CLOSE_CODES: Record<ConnectionEnd['cause'], number> = {
  session: SESSION_ENDED_CLOSE_CODE,
  idle: IDLE_CLOSE_CODE,
  socket_limit: SOCKET_LIMIT_CLOSE_CODE,
};

type DecodedFrame = { ok: true; value: unknown } | { ok: false; error: BadRequestError };

function decodeFrame(data: RawData): DecodedFrame {
  const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
  if (bytes.length > MAX_FRAME_BYTES) {
    return { ok: false, error: new BadRequestError(`Frame too large: at most ${MAX_FRAME_BYTES} bytes`) };
  }
  try {
    return { ok: true, value: JSON.parse(bytes.toString('utf8')) };
  } catch {
    return { ok: false, error: new BadRequestError('Invalid JSON') };
  }
}

/**
 * Pings the peer every `intervalMs`. A peer that has not answered the previous ping is gone
 * (a dropped network leaves the TCP connection open for a long time) and is cut off, so it stops
 * holding a socket slot and its server-side state.
 */
function keepAlive(socket: WebSocket, intervalMs: number): void {
  let answered = true;
  socket.on('pong', () => (answered = true));
  const timer = setInterval(() => {
    if (!answered) return socket.terminate();
    answered = false;
    socket.ping();
  }, intervalMs);
  socket.on('close', () => clearInterval(timer));
}

/**
 * Opens the services' connection for an authenticated socket. Frames that arrive while it opens
 * wait for it, in order; a socket that closes meanwhile closes the connection once it exists.
 */
function serve(socket: WebSocket, request: FastifyRequest, services: Services, login: SocketLogin, maxBufferedBytes: number): void {
  const log = request.log;
  let connection: AgentConnection | undefined;
  // a client that cannot keep up has its turn cancelled (AgentConnection.overflow); the upgraded
  // request's socket is the WebSocket's TCP connection
  const events = new SocketEvents(socket, request.socket, maxBufferedBytes, () => connection?.overflow());
  const opening: Promise<AgentConnection | undefined> = services.agent
    .connect({
      login,
      send: (event) => events.send(event),
      end: ({ cause, reason }) => socket.close(CLOSE_CODES[cause], reason),
      log,
    })
    .then(
      (opened) => (connection = opened),
      (error: unknown) => {
        log.error({ err: error }, 'agent: could not open the connection');
        socket.close(INTERNAL_ERROR_CLOSE_CODE);
        return undefined;
      },
    );
  socket.on('message', (data: RawData) => {
    const frame = decodeFrame(data);
    void opening.then((connection) => (frame.ok ? connection?.receive(frame.value) : connection?.reject(frame.error)));
  });
  // A client that goes away mid-answer aborts the model request.
  socket.on('close', () => void opening.then((connection) => connection?.close()));
}

async function agentWs(app: FastifyInstance) {
  const { services, settings } = app.platform;
  // permessage-deflate off (as ws defaults it): small frames gain little, and each socket would hold a zlib context
  await app.register(websocket, { options: { maxPayload: MAX_PAYLOAD_BYTES, perMessageDeflate: false } });
  // Hear revocations from other processes before the first socket opens, not from its first subscription on.
  await services.revocations.listen();
  // Authentication runs before the upgrade completes, so no frame can arrive before it is decided.
  const authOf = new WeakMap<FastifyRequest, SocketAuth>();

  app.route({
    method: 'GET',
    url: `${settings.API_V1_STR}${AGENT_WS_PATH}`,
    preValidation: async (request) => {
      if (request.ws) authOf.set(request, await authenticateSocket(request, services, settings));
    },
    // A plain GET (no upgrade) is not a route of the API.
    handler: (_request, reply) => reply.callNotFound(),
    wsHandler: (socket: WebSocket, request: FastifyRequest) => {
      const auth = authOf.get(request);
      if (!auth?.ok) {
        socket.close(auth?.code ?? AUTH_FAILED_CLOSE_CODE, auth?.reason ?? 'Invalid or expired token');
        return;
      }
      keepAlive(socket, settings.AGENT_PING_INTERVAL_SECONDS * 1000);
      agentOpenSockets.inc();
      socket.on('close', () => agentOpenSockets.dec());
      serve(socket, request, services, auth.login, settings.AGENT_MAX_BUFFERED_BYTES);
    },
  });
}

export default fp(agentWs, { name: 'agent-ws', dependencies: ['platform', 'errors'] });
