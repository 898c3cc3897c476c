// The events of the agent turns, kept so that a client whose socket dropped can pick a turn up
// again (`resume_stream`), on any API process: each event of a turn saved in a conversation gets
// the next sequence number of that turn as its id, and is kept while the turn runs and for
// AGENT_RESUME_TTL_SECONDS after its last event. One turn is kept per conversation, the latest: a
// new turn in the conversation replaces it. Each turn remembers its user, and a resume by anyone
// else is answered as if the turn did not exist.
//
// With Redis a turn is a stream (turn-log-redis.ts); without it (the embedded parts) it is kept in
// this process's memory, so a resume reaches only the turns of the process it lands on.
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

/** The turns of this process, in its memory. */
export class MemoryTurnLog implements TurnLog {
  private readonly turns = new Map<string, MemoryTurn>();
  private readonly ttlMs: number;

  constructor({ ttlMs }: { ttlMs: number }) {
    this.ttlMs = ttlMs;
  }

  start(conversationId: string, userId: string): TurnWriter {
    const previous = this.turns.get(conversationId);
    if (previous) this.remove(conversationId, previous);
    const turn: MemoryTurn = { userId, events: [], ended: false, gone: false, wake: new Set() };
    this.turns.set(conversationId, turn);
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

  private remove(conversationId: string, turn: MemoryTurn): void {
    clearTimeout(turn.expiry);
    turn.gone = true;
    if (this.turns.get(conversationId) === turn) this.turns.delete(conversationId);
    wakeAll(turn);
  }
}
