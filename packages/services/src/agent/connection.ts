// One agent WebSocket connection: its text history, its current conversation and its running
// turn, and the bounds that keep one socket from spending without limit: its login is watched
// (socket-session.ts), each turn draws on the user's turn budget, the history sent to the model
// is bounded, and an idle socket is ended. The transport hands it decoded frames, sends the
// events it emits and closes the socket when it ends.
import {
  AgentCancelFrame,
  type AgentEventFrame,
  AgentMessageFrame,
  AgentResumeStreamFrame,
  type HistoryEntry,
} from '@personal-automations/contracts';
import { inSpan } from '@personal-automations/observability/trace-hooks';
import { BadRequestError } from '../errors.ts';
import { answerApproval } from './approval-frame.ts';
import type { AgentApprovals } from './approvals.ts';
import { type AgentLogger, describeIssue, toErrorEvent } from './errors.ts';
import { boundHistory, type HistoryBounds } from './history.ts';
import { type ResumeTarget, resumeStream } from './resume.ts';
import { type SocketLogin, SocketSession, type SocketSessionDeps } from './socket-session.ts';
import type { SocketSlot } from './socket-slots.ts';
import {
  AgentTurn,
  bestEffort,
  CLIENT_TOO_SLOW,
  EMPTY_MESSAGE,
  newConversation,
  type ResolvedConversation,
  runTurn,
  type TurnDeps,
} from './turn.ts';

export const TURN_IN_PROGRESS = 'A response is already in progress: wait for it or cancel it';
export const IDLE_TIMEOUT = 'Idle timeout';
/**
 * Why the server ends a connection; the transport turns `cause` into a close code and sends
 * `reason`. `session`: the login ended (revoked, expired, user disabled); `idle`: no frame and no
 * turn for the idle timeout; `socket_limit`: the user already holds the most sockets allowed.
 */
export type ConnectionEnd = { cause: 'session' | 'idle' | 'socket_limit'; reason: string };

export type AgentConnectionOptions = {
  login: SocketLogin;
  send: (event: AgentEventFrame) => void;
  /** Closes the socket; called at most once, and never after the client has gone. */
  end: (ending: ConnectionEnd) => void;
  log: AgentLogger;
};

/**
 * `continueOnDisconnect` (AGENT_CONTINUE_ON_DISCONNECT): a turn saved in a conversation runs to
 * its end when its socket drops, still holding the socket's slot in the user's count.
 */
export type ConnectionLimits = {
  history: HistoryBounds;
  idleTimeoutMs: number;
  continueOnDisconnect: boolean;
  /** Unread events a streamed turn may hold (AGENT_MAX_BUFFERED_BYTES; the WebSocket transport counts its own). */
  maxBufferedBytes: number;
};

export type ConnectionDeps = SocketSessionDeps &
  TurnDeps & {
    limits: ConnectionLimits;
    /** Where a `resume` frame's decisions go (the turn waits on them in the agent loop). */
    approvals: AgentApprovals;
  };

export class AgentConnection {
  private readonly deps: ConnectionDeps;
  private readonly userId: string;
  private readonly send: (event: AgentEventFrame) => void;
  private readonly onEnd: (ending: ConnectionEnd) => void;
  private readonly log: AgentLogger;
  private readonly session: SocketSession;
  private readonly slot: SocketSlot;
  /** Text of the earlier turns, sent to the model with each new one (never read from the database), within the history bounds. */
  private history: HistoryEntry[] = [];
  private conversationId: string | null = null;
  private turn: AgentTurn | null = null;
  /** A `resume_stream` being served: stopped when the socket closes. */
  private resuming: AbortController | null = null;
  /** The conversation whose turn that `resume_stream` follows: a `resume` frame answers its approval. */
  private following: string | null = null;
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** The login watch and the socket slot were given back (at the close, or when a turn that outlived the socket ends). */
  private released = false;

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

  /**
   * The socket closed. A running turn saved in a conversation goes on to its end when
   * AGENT_CONTINUE_ON_DISCONNECT allows (its events kept for a resume), keeping the login watch and
   * the socket's slot until then; any other turn's model request is aborted.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.idleTimer);
    this.resuming?.abort();
    if (this.turn?.kept && this.deps.limits.continueOnDisconnect) return;
    this.abortTurn();
    this.release();
  }

  private abortTurn(): void {
    this.turn?.abort();
    this.turn = null;
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.session.stop();
    void this.slot.release();
  }

  private handle(frame: unknown): Promise<void> {
    if (AgentCancelFrame.safeParse(frame).success) {
      // while resuming, a cancel stops the replay only: the turn itself may run on another process
      if (this.resuming) this.resuming.abort();
      else this.cancel();
      return Promise.resolve();
    }
    const type = (frame as { type?: unknown } | null)?.type;
    if (type === 'resume_stream') return this.resume(frame);
    if (type === 'resume') return this.answerApproval(frame);
    const parsed = AgentMessageFrame.safeParse(frame);
    if (!parsed.success) return this.reject(new BadRequestError(`Invalid message frame: ${describeIssue(parsed.error)}`));
    const prompt = parsed.data.message;
    if (!prompt?.trim()) return this.reject(new BadRequestError(EMPTY_MESSAGE));
    if (this.turn || this.resuming) return this.reject(new BadRequestError(TURN_IN_PROGRESS));
    const turn = new AgentTurn(this.send);
    this.turn = turn;
    // Each turn is a trace of its own: the socket outlives the upgrade request that opened it.
    return inSpan('agent turn', { root: true, attributes: { 'enduser.id': this.userId } }, () => this.runTurn(turn, prompt, parsed.data));
  }

  /**
   * The server ends the connection: everything stops at once (nothing more of a running turn is
   * saved, even of one that outlived its socket), then the socket is closed.
   */
  private end(ending: ConnectionEnd): void {
    const wasOpen = !this.closed;
    this.abortTurn();
    this.close();
    this.release();
    if (wasOpen) this.onEnd(ending);
  }

  /** The idle clock runs while no turn does, and starts again with every frame and at the end of every turn. */
  private restartIdleClock(): void {
    clearTimeout(this.idleTimer);
    if (this.closed || this.turn || this.resuming) return;
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

  private cancel(message?: string): void {
    if (this.turn?.cancel(message)) this.turn = null;
  }

  private async runTurn(turn: AgentTurn, prompt: string, frame: AgentMessageFrame): Promise<void> {
    const { history: bounds } = this.deps.limits;
    try {
      const completed = await runTurn(this.deps, turn, {
        userId: this.userId,
        prompt,
        log: this.log,
        stillAllowed: () => this.session.stillValid(),
        conversation: () => this.resolveConversation(frame.conversation_id, prompt),
        history: () => {
          if (frame.history)
            this.history = boundHistory(
              frame.history.map(({ role, content }) => ({ role, content })),
              bounds,
            );
          return this.history;
        },
      });
      if (completed) {
        const entries: HistoryEntry[] = [
          { role: 'user', content: prompt },
          { role: 'assistant', content: completed.output },
        ];
        this.history = boundHistory([...this.history, ...entries], bounds);
      }
    } finally {
      if (this.turn === turn) this.turn = null;
      if (this.closed) this.release(); // a turn that outlived its socket gives its slot back now
      this.restartIdleClock();
    }
  }

  /**
   * The conversation this turn is saved in. A requested id is used when it is one of the
   * caller's conversations; anything else (another user's, an unknown one) is no error: the turn is
   * answered, just not saved. Without one, the connection's conversation, created on first use.
   */
  private async resolveConversation(requested: string | null | undefined, prompt: string): Promise<ResolvedConversation> {
    if (requested) {
      const owned = await bestEffort(this.log, 'look up the conversation', () =>
        this.deps.conversations.findOwnedId(this.userId, requested),
      );
      if (owned) this.conversationId = owned;
      return { conversationId: owned, created: false };
    }
    if (this.conversationId) return { conversationId: this.conversationId, created: false };
    const created = await newConversation(this.deps, { userId: this.userId, prompt, log: this.log });
    this.conversationId = created.conversationId;
    return created;
  }

  /**
   * A `resume_stream` frame: the missed events of the conversation's turn, then the live rest,
   * with no turn of this socket running meanwhile. A finished turn becomes this connection's
   * conversation and history, as if it had run here.
   */
  private async resume(frame: unknown): Promise<void> {
    const parsed = AgentResumeStreamFrame.safeParse(frame);
    if (!parsed.success) return this.reject(new BadRequestError(`Invalid resume_stream frame: ${describeIssue(parsed.error)}`));
    if (this.turn || this.resuming) return this.reject(new BadRequestError(TURN_IN_PROGRESS));
    const resuming = new AbortController();
    this.resuming = resuming;
    this.following = parsed.data.conversation_id;
    const target: ResumeTarget = { turnLog: this.deps.turnLog, userId: this.userId, send: this.send, signal: resuming.signal };
    try {
      const finished = await resumeStream(target, parsed.data);
      if (!finished) return;
      this.conversationId = finished.conversationId;
      this.history = boundHistory([...this.history, ...finished.entries], this.deps.limits.history);
    } catch (error) {
      if (!resuming.signal.aborted) this.send(toErrorEvent(error, this.log));
    } finally {
      if (this.resuming === resuming) {
        this.resuming = null;
        this.following = null;
      }
      this.restartIdleClock();
    }
  }

  /**
   * A `resume` frame: its decisions go to the paused turn, on whichever process it runs (it goes on
   * there); a refusal is an `error` event of this socket only, outside any turn.
   */
  private answerApproval(frame: unknown): Promise<void> {
    const context = { approvals: this.deps.approvals, userId: this.userId, conversationId: this.following ?? this.conversationId };
    return answerApproval(frame, context).catch((error: unknown) => this.reject(error));
  }
}
