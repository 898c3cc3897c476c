// The turn log on Redis, shared by every API process: one stream per conversation,
// `<PROJECT_NAME>:agent-turns:<conversation id>`. Its first entry (id 0-1) names the turn's user;
// event n of the turn is entry 1-n, so the stream id is the event id the client sees, and a
// follower reads on from `1-<last_event_id>` with XREAD BLOCK. Each write pushes the stream's
// expiry back: while the turn runs to the TTL plus RUNNING_GRACE_MS (a turn may be quiet for a
// while, waiting on the model), after its last event to the TTL. Writes go out in order on one
// connection without being awaited, so an event is sent to its socket with no Redis round trip in
// between; one that fails (Redis down) is logged and only costs a later resume.
import type { Redis } from 'ioredis';
import { type AgentEvent, endsTurn } from '@personal-automations/contracts';
import type { AgentLogger } from './errors.ts';
import { type FollowInput, type FollowResult, MemoryTurnLog, type TurnLog, type TurnWriter } from './turn-log.ts';

/** How long a running turn's events are kept past its latest event, beyond the TTL. */
export const RUNNING_GRACE_MS = 60 * 60 * 1000;
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

  constructor(options: RedisTurnLogOptions) {
    this.options = options;
  }

  start(conversationId: string, userId: string, log: AgentLogger): TurnWriter {
    const key = this.options.prefix + conversationId;
    const runningTtlMs = this.options.ttlMs + RUNNING_GRACE_MS;
    this.write(log, this.options.redis.pipeline().del(key).xadd(key, OWNER_ID, 'user', userId).pexpire(key, runningTtlMs));
    let sequence = 0;
    return {
      append: (event: AgentEvent) => {
        const id = String(++sequence);
        const ttl = endsTurn(event) ? this.options.ttlMs : runningTtlMs;
        this.write(log, this.options.redis.pipeline().xadd(key, `1-${id}`, 'event', JSON.stringify(event)).pexpire(key, ttl));
        return id;
      },
    };
  }

  async follow({ conversationId, userId, afterId, send, signal }: FollowInput): Promise<FollowResult> {
    const key = this.options.prefix + conversationId;
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

  private write(log: AgentLogger, pipeline: ReturnType<Redis['pipeline']>): void {
    pipeline.exec().then(
      (results) => {
        const failed = results?.find(([error]) => error)?.[0];
        if (failed) log.warn({ err: failed }, 'agent: could not keep a turn event');
      },
      (error: unknown) => log.warn({ err: error }, 'agent: could not keep a turn event'),
    );
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
