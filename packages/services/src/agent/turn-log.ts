// The events of the agent turns, kept so that a client whose socket dropped can pick a turn up
// again (`resume_stream`), on any API process: each event of a turn saved in a conversation gets
// the next sequence number of that turn as its id, and is kept while the turn runs and for
// AGENT_RESUME_TTL_SECONDS after its last event. One turn is kept per conversation, the latest: a
// new turn in the conversation replaces it. Each turn remembers its user, and a resume by anyone
// else is answered as if the turn did not exist.
//
// With Redis a turn is a stream (turn-log-redis.ts); without it (the embedded parts) it is kept in
// this process's memory, so a resume reaches only the turns of the process it lands on, and at
// most AGENT_RESUME_MAX_TURNS ended turns are kept there: the TTL alone would let the memory grow
// with the number of users (each may start AGENT_TURNS_PER_MINUTE turns a minute, each kept for the TTL).
import { type AgentEvent, endsTurn } from '@personal-automations/contracts';
import type { AgentLogger } from './errors.ts';

/** An event of a turn with its id. */
export type LoggedEvent = { id: string; event: AgentEvent };

/** Writes one turn's events; `append` gives the event's id at once (the write itself may complete later). */
export type TurnWriter = { append(event: AgentEvent): string };

/**
 * `done`: every event after the given id was sent, up to the turn's end (or the follower stopped);
 * `unknown`: no such turn for this user (never started, expired, someone else's): nothing was sent;
 * `lost`: the turn went from the log before its end (expired while its process was gone, replaced).
 */
export type FollowResult = 'done' | 'unknown' | 'lost';

export type FollowInput = {
  conversationId: string;
  userId: string;
  /** The id of the last event the client has; 0 for all of them. */
  afterId: number;
  send: (logged: LoggedEvent) => void;
  /** Stops following (the socket closed). */
  signal: AbortSignal;
};

export interface TurnLog {
  /** Starts keeping the events of a new turn of `userId` in `conversationId`; a failed write is logged to `log`. */
  start(conversationId: string, userId: string, log: AgentLogger): TurnWriter;
  /** Sends the kept events after `afterId`, then each new one as it comes, up to the turn's end. */
  follow(input: FollowInput): Promise<FollowResult>;
}

type MemoryTurn = {
  userId: string;
  events: LoggedEvent[];
  ended: boolean;
  /** Removed from the log (expired, or replaced by a newer turn): its followers stop. */
  gone: boolean;
  wake: Set<() => void>;
  expiry?: NodeJS.Timeout;
};

const wakeAll = (turn: MemoryTurn) => {
  for (const resolve of [...turn.wake]) resolve();
  turn.wake.clear();
};

/** AGENT_RESUME_MAX_TURNS's default. */
export const DEFAULT_MAX_KEPT_TURNS = 1000;

/**
 * The turns of this process, in its memory: every running turn (as many as the sockets and the
 * turns they left running, AGENT_MAX_SOCKETS_PER_USER), and ended ones until their TTL or until
 * more than `maxTurns` are kept in all, when the ones that started first go first.
 */
export class MemoryTurnLog implements TurnLog {
  /** By conversation, in the order the turns started (a new turn is added at the end). */
  private readonly turns = new Map<string, MemoryTurn>();
  private readonly ttlMs: number;
  private readonly maxTurns: number;

  constructor({ ttlMs, maxTurns = DEFAULT_MAX_KEPT_TURNS }: { ttlMs: number; maxTurns?: number }) {
    this.ttlMs = ttlMs;
    this.maxTurns = maxTurns;
  }

  /** How many turns are kept now, running or ended. */
  get size(): number {
    return this.turns.size;
  }

  start(conversationId: string, userId: string): TurnWriter {
    const previous = this.turns.get(conversationId);
    if (previous) this.remove(conversationId, previous);
    const turn: MemoryTurn = { userId, events: [], ended: false, gone: false, wake: new Set() };
    this.turns.set(conversationId, turn);
    this.dropOldestEnded();
    return {
      append: (event) => {
        const id = String(turn.events.length + 1);
        if (turn.gone || turn.ended) return id;
        turn.events.push({ id, event });
        if (endsTurn(event)) {
          turn.ended = true;
          // unref: a kept turn never holds a process open that is otherwise done
          turn.expiry = setTimeout(() => this.remove(conversationId, turn), this.ttlMs).unref();
        }
        wakeAll(turn);
        return id;
      },
    };
  }

  async follow({ conversationId, userId, afterId, send, signal }: FollowInput): Promise<FollowResult> {
    const turn = this.turns.get(conversationId);
    if (!turn || turn.userId !== userId) return 'unknown';
    // one listener for the whole follow (waking the turn's other followers too is harmless: they wait again)
    const onAbort = () => wakeAll(turn);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      for (let next = afterId; ; ) {
        for (; next < turn.events.length; next++) send(turn.events[next]!);
        if (turn.ended || signal.aborted) return 'done';
        if (turn.gone) return 'lost';
        await new Promise<void>((resolve) => turn.wake.add(resolve));
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Over `maxTurns`: the ended turns that started first go (a resume of one is answered as expired). */
  private dropOldestEnded(): void {
    for (const [conversationId, turn] of this.turns) {
      if (this.turns.size <= this.maxTurns) return;
      if (turn.ended) this.remove(conversationId, turn);
    }
  }

  private remove(conversationId: string, turn: MemoryTurn): void {
    clearTimeout(turn.expiry);
    turn.gone = true;
    if (this.turns.get(conversationId) === turn) this.turns.delete(conversationId);
    wakeAll(turn);
  }
}
