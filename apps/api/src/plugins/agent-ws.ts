// WS {API_V1_STR}/ws/agent: the streaming chat socket. This plugin authenticates the upgrade,
// decodes frames and forwards events; the turn itself (model, tools, saving) is the services'
// AgentConnection.
import websocket from '@fastify/websocket';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import type { Settings } from '@personal-automations/config';
import { BadRequestError, type Services } from '@personal-automations/services';
import { detailError } from '../errors.ts';
import { AUTH_FAILED_CLOSE_CODE, authenticateSocket, type SocketAuth } from './agent-ws-auth.ts';

export const AGENT_WS_PATH = '/ws/agent';
/** A larger frame is answered with an `error` event and otherwise ignored. */
export const MAX_FRAME_BYTES = 64 * 1024;
/** The WebSocket layer does not even buffer frames above this: it closes with 1009. */
export const MAX_PAYLOAD_BYTES = 1024 * 1024;

export type AgentWsOptions = { services: Services; settings: Settings };

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

export async function agentWsPlugin(app: FastifyInstance, { services, settings }: AgentWsOptions) {
  await app.register(websocket, { options: { maxPayload: MAX_PAYLOAD_BYTES } });
  // Authentication runs before the upgrade completes, so no frame can arrive before it is decided.
  const authOf = new WeakMap<FastifyRequest, SocketAuth>();

  app.route({
    method: 'GET',
    url: AGENT_WS_PATH,
    preValidation: async (request) => {
      if (request.ws) authOf.set(request, await authenticateSocket(request, services, settings));
    },
    // A plain GET (no upgrade) is not a route of the API.
    handler: (_request, reply) => {
      const { status, body } = detailError(404, 'Not Found');
      return reply.code(status).send(body);
    },
    wsHandler: (socket: WebSocket, request: FastifyRequest) => {
      const auth = authOf.get(request);
      if (!auth?.ok) {
        socket.close(auth?.code ?? AUTH_FAILED_CLOSE_CODE, auth?.reason ?? 'Invalid or expired token');
        return;
      }
      const connection = services.agent.connect({
        userId: auth.auth.user.id,
        send: (event) => {
          if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(event));
        },
        log: request.log,
      });
      socket.on('message', (data: RawData) => {
        const frame = decodeFrame(data);
        void (frame.ok ? connection.receive(frame.value) : connection.reject(frame.error));
      });
      // A client that goes away mid-answer aborts the model request.
      socket.on('close', () => connection.close());
    },
  });
}
