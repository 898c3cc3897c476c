// One agent WebSocket connection: its text history, its current conversation and its running
// turn, and the bounds that keep one socket from spending without limit: its login is watched
// (socket-session.ts), each turn draws on the user's turn budget, the history sent to the model
// is bounded, and an idle socket is ended. The transport hands it decoded frames, sends the
// events it emits and closes the socket when it ends.
import type { z } from 'zod';
import { AgentCancelFrame, type AgentEvent, AgentMessageFrame, type HistoryEntry } from '@personal-automations/contracts';
import { inSpan } from '@personal-automations/observability/trace-hooks';
import type { ConversationService } from '../conversations.ts';
import { BadRequestError, RateLimitError } from '../errors.ts';
import type { RateLimits } from '../limits/rate-limits.ts';
import type { UsageService } from '../usage.ts';
import type { Agent, EmitEvent } from './agent.ts';
import { type AgentLogger, toErrorEvent } from './errors.ts';
import { boundHistory, type HistoryBounds } from './history.ts';
import { type SocketLogin, SocketSession, type SocketSessionDeps } from './socket-session.ts';
import type { SocketSlot } from './socket-slots.ts';
import { TurnMeter } from './turn-meter.ts';

export const EMPTY_MESSAGE = 'Empty message';
export const TURN_IN_PROGRESS = 'A response is already in progress: wait for it or cancel it';
/** Sent as an `error` event when a cancel stops a turn (no `complete` follows, nothing of the answer is saved). */
export const CANCELLED = 'Cancelled';
export const IDLE_TIMEOUT = 'Idle timeout';
/** Sent as an `error` event when a client reads the answer too slowly (AGENT_MAX_BUFFERED_BYTES): the turn is cancelled. */
export const CLIENT_TOO_SLOW = 'Cancelled: the client is not reading the answer fast enough';
/** A conversation created by the socket is titled with the start of its first message. */
const TITLE_CHARACTERS = 50;

export const turnsExceeded = (max: number, retryAfterSeconds: number): string =>
  `Too many agent turns: at most ${max} per minute; try again in ${retryAfterSeconds} seconds`;

/**
 * Why the server ends a connection; the transport turns `cause` into a close code and sends
 * `reason`. `session`: the login ended (revoked, expired, user disabled); `idle`: no frame and no
 * turn for the idle timeout; `socket_limit`: the user already holds the most sockets allowed.
 */
export type ConnectionEnd = { cause: 'session' | 'idle' | 'socket_limit'; reason: string };

export type AgentConnectionOptions = {
  login: SocketLogin;
  send: (event: AgentEvent) => void;
  /** Closes the socket; called at most once, and never after the client has gone. */
  end: (ending: ConnectionEnd) => void;
  log: AgentLogger;
};

export type ConnectionLimits = { history: HistoryBounds; idleTimeoutMs: number };

export type ConnectionDeps = SocketSessionDeps & {
  agent: Agent;
  conversations: ConversationService;
  rateLimits: RateLimits;
  /** The daily token quota, checked before each turn. */
  usage: Pick<UsageService, 'admitTurn'>;
  limits: ConnectionLimits;
};

/** `cancellable` turns false once the model has answered: from then on the turn is saved and completed. */
type Turn = { controller: AbortController; cancellable: boolean };

const describeIssue = (error: z.ZodError): string => {
  const issue = error.issues[0];
  if (!issue) return 'invalid frame';
  return issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message;
};

export class AgentConnection {
  private readonly deps: ConnectionDeps;
  private readonly userId: string;
  private readonly send: (event: AgentEvent) => void;
  private readonly onEnd: (ending: ConnectionEnd) => void;
  private readonly log: AgentLogger;
  private readonly session: SocketSession;
  private readonly slot: SocketSlot;
  /** Text of the earlier turns, sent to the model with each new one (never read from the database), within the history bounds. */
  private history: HistoryEntry[] = [];
  private conversationId: string | null = null;
  private turn: Turn | null = null;
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;

  /** `slot` is the socket's place in its user's socket count, released when the connection closes. */
  constructor(deps: ConnectionDeps, { login, send, end, log }: AgentConnectionOptions, slot: SocketSlot) {
    this.deps = deps;
    this.userId = login.userId;
    this.send = send;
    this.onEnd = end;
    this.log = log;
    this.slot = slot;
    this.session = new SocketSession(deps, login, (reason) => this.end({ cause: 'session', reason }));
  }

  /** Starts watching the login and the idle clock. */
  async open(): Promise<void> {
    this.restartIdleClock();
    await this.session.watch();
  }

  /** Handles one decoded client frame; the promise settles when the turn it started has ended. */
  receive(frame: unknown): Promise<void> {
    if (this.closed) return Promise.resolve();
    const handled = this.handle(frame);
    this.restartIdleClock();
    return handled;
  }

  /** Reports a failure that belongs to no turn (a frame the transport could not read). */
  reject(error: unknown): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.send(toErrorEvent(error, this.log));
    this.restartIdleClock();
    return Promise.resolve();
  }

  /** The socket closed (the client went away, or the server ended it): the running turn's model request is aborted. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.turn?.controller.abort();
    this.turn = null;
    clearTimeout(this.idleTimer);
    this.session.stop();
    void this.slot.release();
  }

  private handle(frame: unknown): Promise<void> {
    if (AgentCancelFrame.safeParse(frame).success) {
      this.cancel();
      return Promise.resolve();
    }
    const parsed = AgentMessageFrame.safeParse(frame);
    if (!parsed.success) return this.reject(new BadRequestError(`Invalid message frame: ${describeIssue(parsed.error)}`));
    const prompt = parsed.data.message;
    if (!prompt?.trim()) return this.reject(new BadRequestError(EMPTY_MESSAGE));
    if (this.turn) return this.reject(new BadRequestError(TURN_IN_PROGRESS));
    const turn: Turn = { controller: new AbortController(), cancellable: true };
    this.turn = turn;
    // Each turn is a trace of its own: the socket outlives the upgrade request that opened it.
    return inSpan('agent turn', { root: true, attributes: { 'enduser.id': this.userId } }, () => this.runTurn(turn, prompt, parsed.data));
  }

  /** The server ends the connection: everything stops at once (nothing more of a running turn is saved), then the socket is closed. */
  private end(ending: ConnectionEnd): void {
    if (this.closed) return;
    this.close();
    this.onEnd(ending);
  }

  /** The idle clock runs while no turn does, and starts again with every frame and at the end of every turn. */
  private restartIdleClock(): void {
    clearTimeout(this.idleTimer);
    if (this.closed || this.turn) return;
    this.idleTimer = setTimeout(() => this.end({ cause: 'idle', reason: IDLE_TIMEOUT }), this.deps.limits.idleTimeoutMs);
  }

  /**
   * The transport holds more of this socket's events than it may (the client does not read them
   * fast enough): the turn is cancelled as by a cancel frame, and told why. A turn whose answer is
   * already complete (being saved) goes on: what is left of it is bounded by that answer.
   */
  overflow(): void {
    this.cancel(CLIENT_TOO_SLOW);
  }

  private cancel(message = CANCELLED): void {
    const turn = this.turn;
    if (!turn?.cancellable) return;
    this.turn = null;
    turn.controller.abort();
    this.send({ type: 'error', data: { message } });
  }

  /**
   * Whether the turn may start; checked before anything of it is saved. A login that has ended
   * ends the socket; a spent turn budget or daily token quota refuses this turn only (an `error` event).
   */
  private async admitTurn(): Promise<boolean> {
    if (!(await this.session.stillValid())) return false;
    const draw = await this.deps.rateLimits.consume('agentTurns', `user:${this.userId}`);
    if (draw.counted && !draw.allowed) throw new RateLimitError(turnsExceeded(draw.limit, draw.resetSeconds), draw.resetSeconds);
    await this.deps.usage.admitTurn(this.userId);
    return true;
  }

  private async runTurn(turn: Turn, prompt: string, frame: AgentMessageFrame): Promise<void> {
    const { signal } = turn.controller;
    const meter = new TurnMeter();
    let failure: unknown;
    // A cancelled turn goes quiet at once: the client has been told it ended.
    const emit: EmitEvent = (event) => {
      meter.saw(event);
      if (!signal.aborted) this.send(event);
    };
    const { agent, conversations, limits } = this.deps;
    try {
      if (!(await this.admitTurn())) return meter.refused();
      signal.throwIfAborted();
      if (frame.history)
        this.history = boundHistory(
          frame.history.map(({ role, content }) => ({ role, content })),
          limits.history,
        );
      const conversationId = await this.resolveConversation(frame.conversation_id, prompt, emit);
      signal.throwIfAborted(); // cancelled before it started: nothing of the turn is saved
      emit({ type: 'user_prompt', data: { content: prompt } });
      if (conversationId) await this.bestEffort('save the user message', () => conversations.saveUserPrompt(conversationId, prompt));
      emit({ type: 'user_prompt_processed', data: { prompt } });
      const result = await agent.run({ prompt, history: this.history, userId: this.userId, signal, emit });
      signal.throwIfAborted();
      turn.cancellable = false;
      if (conversationId) {
        await this.bestEffort('save the assistant message', () =>
          conversations.saveAssistantTurn(conversationId, {
            content: result.output,
            modelName: agent.model.name,
            tokensUsed: result.tokensUsed,
            toolCalls: result.toolCalls,
          }),
        );
      }
      this.history = boundHistory(
        [...this.history, { role: 'user', content: prompt }, { role: 'assistant', content: result.output }],
        limits.history,
      );
      emit({ type: 'complete', data: { conversation_id: conversationId } });
      meter.completed();
    } catch (error) {
      failure = error;
      if (!signal.aborted) this.send(toErrorEvent(error, this.log));
    } finally {
      meter.end(signal, failure);
      if (this.turn === turn) this.turn = null;
      this.restartIdleClock();
    }
  }

  /**
   * The conversation this turn is saved in. A requested id is used when it is one of the
   * caller's conversations; anything else (another user's, an unknown one) is no error: the turn is
   * answered, just not saved. Without one, the connection's conversation, created on first use.
   */
  private async resolveConversation(requested: string | null | undefined, prompt: string, emit: EmitEvent): Promise<string | null> {
    if (requested) {
      const owned = await this.bestEffort('look up the conversation', () => this.deps.conversations.findOwnedId(this.userId, requested));
      if (owned) this.conversationId = owned;
      return owned;
    }
    if (this.conversationId) return this.conversationId;
    const title = Array.from(prompt).slice(0, TITLE_CHARACTERS).join('');
    const created = await this.bestEffort('create a conversation', () => this.deps.conversations.create(this.userId, { title }));
    if (!created) return null;
    this.conversationId = created.id;
    emit({ type: 'conversation_created', data: { conversation_id: created.id } });
    return created.id;
  }

  /** Saving is best-effort: a database failure is logged and the turn goes on unsaved, since the answer matters more than its record. */
  private async bestEffort<T>(what: string, action: () => Promise<T>): Promise<T | null> {
    try {
      return await action();
    } catch (error) {
      this.log.error({ err: error }, `agent: could not ${what}`);
      return null;
    }
  }
}
