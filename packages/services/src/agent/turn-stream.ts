// The agent turn as a stream of events, for the transports that carry one turn per request (the
// tRPC subscription `agent.run` and its REST form, both over SSE): the same turn as the WebSocket
// runs (turn.ts), admitted before the first event so a refusal is the request's error, and
// cancelled when the reader goes away. A turn holds a place in its user's agent socket count
// (AGENT_MAX_SOCKETS_PER_USER) while it runs, as a socket does.
//
// Each event has an id, `<conversation id>:<event id>`; a request that names the last one it got
// (SSE's Last-Event-ID: an EventSource that reconnects sends it) gets the rest of that turn
// instead of starting another one, so a reconnect never pays for the same message twice.
import type { AgentEvent, AgentResumeStreamFrame } from '@personal-automations/contracts';
import { BadRequestError, RateLimitError } from '../errors.ts';
import { type AgentLogger, toErrorEvent } from './errors.ts';
import { EventQueue, FRAME_OVERHEAD_BYTES } from './event-queue.ts';
import { boundHistory, type HistoryBounds } from './history.ts';
import { resumeStream, UNKNOWN_TURN } from './resume.ts';
import type { AgentSocketSlots } from './socket-slots.ts';
import { AgentTurn, admitTurn, bestEffort, CLIENT_TOO_SLOW, EMPTY_MESSAGE, newConversation, runTurn, type TurnDeps } from './turn.ts';
import { TurnMeter } from './turn-meter.ts';

/** How long a client waits before it asks again for a place in its agent socket count. */
const SOCKET_LIMIT_RETRY_SECONDS = 5;

export const tooManyStreams = (max: number): string =>
  `Too many open agent sockets and streams: at most ${max} per user; close one and try again`;

export type StreamedEvent = { id: string; event: AgentEvent };

export type TurnStreamRequest = {
  userId: string;
  message: string;
  /** One of the caller's conversations to continue (its saved messages are the history); else a new one. */
  conversationId?: string | null;
  /** The id of the last event the client got: the rest of that turn is sent instead of a new one. */
  lastEventId?: string | null;
  /** Aborts when the reader goes away: a running turn is cancelled, nothing of its answer saved. */
  signal: AbortSignal;
  log: AgentLogger;
};

export type TurnStreamDeps = TurnDeps & {
  socketSlots: AgentSocketSlots;
  limits: { history: HistoryBounds; maxBufferedBytes: number };
};

const eventBytes = (event: AgentEvent): number =>
  FRAME_OVERHEAD_BYTES +
  (event.type === 'text_delta' ? event.data.content.length : event.type === 'final_result' ? event.data.output.length : 0);

/**
 * The stream of one turn, started once it is admitted: a refused turn (turn budget, daily token
 * quota, too many sockets and streams) throws before any event, as the request's error.
 */
export async function openTurnStream(deps: TurnStreamDeps, request: TurnStreamRequest): Promise<AsyncIterable<StreamedEvent>> {
  if (request.lastEventId) return resumeTurnStream(deps, request, request.lastEventId);
  if (!request.message.trim()) throw new BadRequestError(EMPTY_MESSAGE);
  const slot = await deps.socketSlots.acquire(request.userId);
  if (!slot) throw new RateLimitError(tooManyStreams(deps.socketSlots.maxPerUser), SOCKET_LIMIT_RETRY_SECONDS);
  try {
    await admitTurn(deps, request.userId);
  } catch (error) {
    await slot.release();
    new TurnMeter().end(request.signal, error); // counted as a refused (or failed) turn, as over the WebSocket
    throw error;
  }
  let sequence = 0;
  let conversationId: string | null = null;
  const turn = new AgentTurn((frame) => {
    const id = `${conversationId ?? ''}:${frame.id ?? `u${++sequence}`}`;
    const { id: _id, ...event } = frame;
    if (!queue.push({ id, event }, eventBytes(event))) turn.cancel(CLIENT_TOO_SLOW);
  });
  const queue = new EventQueue<StreamedEvent>(deps.limits.maxBufferedBytes, () => turn.abort());
  const onAbort = () => turn.abort();
  request.signal.addEventListener('abort', onAbort, { once: true });
  void runTurn(deps, turn, {
    userId: request.userId,
    prompt: request.message,
    log: request.log,
    admitted: true,
    conversation: async () => {
      const resolved = await resolveConversation(deps, request);
      conversationId = resolved.conversationId;
      return resolved;
    },
    history: async (id) => (id && request.conversationId ? recentHistory(deps, id, request.log) : []),
  }).finally(() => {
    request.signal.removeEventListener('abort', onAbort);
    queue.end();
    void slot.release();
  });
  if (request.signal.aborted) turn.abort();
  return queue;
}

/** A requested conversation of the caller's (anything else: answered, not saved, as over the WebSocket); else a new one. */
async function resolveConversation(deps: TurnStreamDeps, request: TurnStreamRequest) {
  if (!request.conversationId) return newConversation(deps, { userId: request.userId, prompt: request.message, log: request.log });
  const requested = request.conversationId;
  const owned = await bestEffort(request.log, 'look up the conversation', () => deps.conversations.findOwnedId(request.userId, requested));
  return { conversationId: owned, created: false };
}

async function recentHistory(deps: TurnStreamDeps, conversationId: string, log: AgentLogger) {
  const { history } = deps.limits;
  const entries = await bestEffort(log, 'read the conversation', () =>
    deps.conversations.recentHistory(conversationId, history.maxMessages),
  );
  return boundHistory(entries ?? [], history);
}

/** The events of a kept turn after `lastEventId`, then its live rest; an unknown one is one `error` event. */
function resumeTurnStream(deps: TurnStreamDeps, request: TurnStreamRequest, lastEventId: string): AsyncIterable<StreamedEvent> {
  const queue = new EventQueue<StreamedEvent>(Number.POSITIVE_INFINITY, () => {});
  const separator = lastEventId.lastIndexOf(':');
  const conversationId = lastEventId.slice(0, Math.max(separator, 0));
  const afterId = lastEventId.slice(separator + 1);
  const unknown = (): void => void queue.push({ id: lastEventId, event: { type: 'error', data: { message: UNKNOWN_TURN } } }, 0);
  if (!conversationId || !/^\d{1,15}$/.test(afterId)) {
    unknown();
    queue.end();
    return queue;
  }
  const frame: AgentResumeStreamFrame = { type: 'resume_stream', conversation_id: conversationId, last_event_id: afterId };
  const send = ({ id, ...event }: AgentEvent & { id?: string }) => void queue.push({ id: `${conversationId}:${id ?? afterId}`, event }, 0);
  resumeStream({ turnLog: deps.turnLog, userId: request.userId, send, signal: request.signal }, frame)
    .catch((error: unknown) => send(toErrorEvent(error, request.log)))
    .finally(() => queue.end());
  return queue;
}
