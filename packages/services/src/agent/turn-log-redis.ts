// The turn log on Redis, shared by every API process: one stream per conversation,
// `<PROJECT_NAME>:agent-turns:<conversation id>`. Its first entry (id 0-1) names the turn's user;
// event n of the turn is entry 1-n, so the stream id is the event id the client sees, and a
// follower reads on from `1-<last_event_id>` with XREAD BLOCK. While the turn runs, its stream
// expires the TTL plus RUNNING_GRACE_MS after its latest event, give or take RUNNING_EXPIRY_STEP_MS
// (a turn may be quiet for a while, waiting on the model); after its last event, the TTL after it.
// Writes are not awaited, so an event is sent to its socket with no Redis round trip in between;
// one that fails (Redis down) is logged and only costs a later resume. The writes of one go of the
// event loop, every turn's, go out together at its end, in order, in one pipeline on one
// connection: one socket write per go instead of one per event, which was a third of the API's CPU
// per streamed token (bench/agent-ws.ts with Redis).
import type { ChainableCommander, Redis } from 'ioredis';
import { type AgentEvent, endsTurn } from '@personal-automations/contracts';
import type { AgentLogger } from './errors.ts';
import { type FollowInput, type FollowResult, MemoryTurnLog, type TurnLog, type TurnWriter } from './turn-log.ts';

/** How long a running turn's events are kept past its latest event, beyond the TTL. */
export const RUNNING_GRACE_MS = 60 * 60 * 1000;
/**
 * A running turn's expiry is pushed back when an event comes at least this long after the last
 * push, not on every event (an EXPIRE per token doubled the commands): a running turn may go a
 * minute sooner than its grace period says, never mid-answer.
 */
export const RUNNING_EXPIRY_STEP_MS = 60 * 1000;
/** How long one XREAD waits before the follower checks that the turn is still there. */
const BLOCK_MS = 5000;
const OWNER_ID = '0-1';

type StreamEntry = [id: string, fields: string[]];

export type RedisTurnLogOptions = {
  /** Shared, failing fast while Redis is down. */
  redis: Redis;
  /** A connection of its own for each follower: XREAD BLOCK holds its connection. */
  openReader: () => Redis;
  /** `<PROJECT_NAME>:agent-turns:` */
  prefix: string;
  ttlMs: number;
};

export class RedisTurnLog implements TurnLog {
  private readonly options: RedisTurnLogOptions;
  private readonly writes: QueuedWrites;

  constructor(options: RedisTurnLogOptions) {
    this.options = options;
    this.writes = new QueuedWrites(options.redis);
  }

  start(conversationId: string, userId: string, log: AgentLogger): TurnWriter {
    const key = this.options.prefix + conversationId;
    const runningTtlMs = this.options.ttlMs + RUNNING_GRACE_MS;
    this.writes.add(log, (writes) => writes.del(key).xadd(key, OWNER_ID, 'user', userId).pexpire(key, runningTtlMs));
    let sequence = 0;
    let expiryPushedAt = Date.now();
    return {
      append: (event: AgentEvent) => {
        const id = String(++sequence);
        const ends = endsTurn(event);
        const now = Date.now();
        const pushExpiry = ends || now - expiryPushedAt >= RUNNING_EXPIRY_STEP_MS;
        if (pushExpiry) expiryPushedAt = now;
        this.writes.add(log, (writes) => {
          writes.xadd(key, `1-${id}`, 'event', JSON.stringify(event));
          if (pushExpiry) writes.pexpire(key, ends ? this.options.ttlMs : runningTtlMs);
        });
        return id;
      },
    };
  }

  /** Sends the queued writes now; resolves once Redis has answered every write so far (stored, or logged as failed). */
  written(): Promise<void> {
    return this.writes.flush();
  }

  async follow({ conversationId, userId, afterId, send, signal }: FollowInput): Promise<FollowResult> {
    const key = this.options.prefix + conversationId;
    // this process's writes queued so far reach Redis before this follower's reads (same connection)
    void this.writes.flush();
    const owner = (await this.options.redis.xrange(key, OWNER_ID, OWNER_ID))[0]?.[1];
    if (owner?.[0] !== 'user' || owner[1] !== userId) return 'unknown';
    if (await this.endedBy(key, afterId)) return 'done'; // the client has the whole turn already
    const reader = this.options.openReader();
    const stop = () => reader.disconnect();
    signal.addEventListener('abort', stop, { once: true });
    try {
      for (let last = `1-${afterId}`; !signal.aborted; ) {
        const reply = (await reader.xread('BLOCK', BLOCK_MS, 'STREAMS', key, last)) as [string, StreamEntry[]][] | null;
        const entries = reply?.[0]?.[1] ?? [];
        if (!entries.length && !(await this.options.redis.exists(key))) return 'lost';
        for (const [id, fields] of entries) {
          last = id;
          const event = JSON.parse(fields[1]!) as AgentEvent;
          send({ id: id.slice(2), event });
          if (endsTurn(event)) return 'done';
        }
      }
      return 'done';
    } catch (error) {
      if (signal.aborted) return 'done'; // the socket closed: the reader was cut off mid-read
      throw error;
    } finally {
      signal.removeEventListener('abort', stop);
      reader.disconnect();
    }
  }

  /** Whether the turn has ended at or before event `afterId` (its last entry is an ending event no later than that). */
  private async endedBy(key: string, afterId: number): Promise<boolean> {
    const [last] = (await this.options.redis.xrevrange(key, '+', '-', 'COUNT', 1)) as StreamEntry[];
    if (!last || last[0] === OWNER_ID || Number(last[0].slice(2)) > afterId) return false;
    return endsTurn(JSON.parse(last[1][1]!) as AgentEvent);
  }
}

/**
 * Writes queued until the end of the current go of the event loop (setImmediate), then sent in one
 * pipeline; a failed command is logged once to each logger whose writes failed.
 */
class QueuedWrites {
  private readonly redis: Redis;
  private pipeline: ChainableCommander | undefined;
  /** The logger of each queued command, in the pipeline's order. */
  private loggers: AgentLogger[] = [];
  /** The latest pipeline sent: Redis answers a connection's commands in order, so once it is answered all are. */
  private sent: Promise<void> = Promise.resolve();

  constructor(redis: Redis) {
    this.redis = redis;
  }

  /** Queues the commands `queue` adds, to go out at the end of this go of the event loop. */
  add(log: AgentLogger, queue: (pipeline: ChainableCommander) => void): void {
    if (!this.pipeline) {
      this.pipeline = this.redis.pipeline();
      setImmediate(() => void this.flush());
    }
    queue(this.pipeline);
    while (this.loggers.length < this.pipeline.length) this.loggers.push(log);
  }

  /** Sends the queued commands now; resolves once Redis has answered every command sent so far. */
  flush(): Promise<void> {
    const { pipeline, loggers } = this;
    if (!pipeline) return this.sent;
    this.pipeline = undefined;
    this.loggers = [];
    const warn = (failures: Map<AgentLogger, unknown>) => {
      for (const [log, error] of failures) log.warn({ err: error }, 'agent: could not keep a turn event');
    };
    this.sent = pipeline.exec().then(
      (results) => {
        const failures = new Map<AgentLogger, unknown>();
        results?.forEach(([error], i) => {
          if (error && !failures.has(loggers[i]!)) failures.set(loggers[i]!, error);
        });
        warn(failures);
      },
      (error: unknown) => warn(new Map(loggers.map((log) => [log, error]))),
    );
    return this.sent;
  }
}

/** `maxMemoryTurns`: the ended turns kept at most without Redis (AGENT_RESUME_MAX_TURNS); Redis expires its own. */
export type TurnLogOptions = { redis: Redis | undefined; openReader: () => Redis; prefix: string; ttlMs: number; maxMemoryTurns: number };

/** Kept in Redis when the process has one, otherwise in memory. */
export function openTurnLog({ redis, openReader, prefix, ttlMs, maxMemoryTurns }: TurnLogOptions): TurnLog {
  return redis ? new RedisTurnLog({ redis, openReader, prefix, ttlMs }) : new MemoryTurnLog({ ttlMs, maxTurns: maxMemoryTurns });
}

/** Prefix of the turn streams; PROJECT_NAME keeps two deployments sharing one Redis apart. */
export const agentTurnKeyPrefix = (projectName: string): string => `${projectName}:agent-turns:`;
