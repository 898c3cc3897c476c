// How many agent sockets one user holds open at once (AGENT_MAX_SOCKETS_PER_USER), counted
// across every API process. Each open socket holds a slot; a socket over the cap is refused.
//
// With Redis: one sorted set per user, `<PROJECT_NAME>:agent-sockets:<user id>`, whose members
// are the sockets' slot ids scored by the time their lease ends (Redis's own clock, so API hosts
// with skewed clocks agree). Each process renews the leases of the slots it holds every
// HEARTBEAT_MS; a process that dies stops renewing, and its slots lapse within LEASE_MS instead of
// counting against the user forever. Taking a slot (drop lapsed members, count, add) is one Lua
// script, so two processes cannot both take the last one. While Redis does not answer, sockets
// are not refused (as the rate limiter lets requests through): the slot is simply not counted.
//
// Without Redis: a count per user in this process's memory.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/** An open socket's place in its user's count; released when the socket closes. */
export type SocketSlot = { release(): Promise<void> };

export interface AgentSocketSlots {
  readonly maxPerUser: number;
  /** A slot for one more socket of `userId`, or undefined when the user already holds `maxPerUser`. */
  acquire(userId: string): Promise<SocketSlot | undefined>;
}

/** How long a slot counts without being renewed. */
export const LEASE_MS = 60_000;
/** How often a process renews the leases of the slots it holds (a third of the lease: two renewals may fail). */
export const HEARTBEAT_MS = 20_000;

/** Now, in milliseconds, by Redis's clock. */
const REDIS_NOW_MS = `local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)`;

/** KEYS[1] the user's set; ARGV: max, lease ms, slot id. Returns 1 when the slot was taken. */
const ACQUIRE_SCRIPT = `${REDIS_NOW_MS}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

/** KEYS: the users' sets; ARGV[1] lease ms, ARGV[1 + i] the slot id held in KEYS[i]. */
const RENEW_SCRIPT = `${REDIS_NOW_MS}
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now + tonumber(ARGV[1]), ARGV[i + 1])
  redis.call('PEXPIRE', key, ARGV[1])
end
return 0`;

const UNCOUNTED: SocketSlot = { release: async () => {} };

/** The per-user counts in this process's memory (no Redis). */
export class MemorySocketSlots implements AgentSocketSlots {
  readonly maxPerUser: number;
  private readonly held = new Map<string, number>();

  constructor({ maxPerUser }: { maxPerUser: number }) {
    this.maxPerUser = maxPerUser;
  }

  async acquire(userId: string): Promise<SocketSlot | undefined> {
    const count = this.held.get(userId) ?? 0;
    if (count >= this.maxPerUser) return undefined;
    this.held.set(userId, count + 1);
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        const left = (this.held.get(userId) ?? 1) - 1;
        if (left > 0) this.held.set(userId, left);
        else this.held.delete(userId);
      },
    };
  }
}

/** The per-user counts in Redis, shared by every API process. */
export type RedisSocketSlotsOptions = {
  /** Shared, and failing fast while Redis is down. */
  redis: Redis;
  /** `<PROJECT_NAME>:agent-sockets:` */
  prefix: string;
  maxPerUser: number;
  /** LEASE_MS and HEARTBEAT_MS unless a test needs a lease that lapses quickly. */
  leaseMs?: number;
  heartbeatMs?: number;
};

export class RedisSocketSlots implements AgentSocketSlots {
  readonly maxPerUser: number;
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly leaseMs: number;
  private readonly heartbeatMs: number;
  /** The slots this process holds: slot id → the user's set. */
  private readonly held = new Map<string, string>();
  private heartbeat: NodeJS.Timeout | undefined;

  constructor({ redis, prefix, maxPerUser, leaseMs = LEASE_MS, heartbeatMs = HEARTBEAT_MS }: RedisSocketSlotsOptions) {
    this.redis = redis;
    this.prefix = prefix;
    this.maxPerUser = maxPerUser;
    this.leaseMs = leaseMs;
    this.heartbeatMs = heartbeatMs;
  }

  async acquire(userId: string): Promise<SocketSlot | undefined> {
    const key = `${this.prefix}${userId}`;
    const slotId = randomUUID();
    let taken: unknown;
    try {
      taken = await this.redis.eval(ACQUIRE_SCRIPT, 1, key, this.maxPerUser, this.leaseMs, slotId);
    } catch {
      return UNCOUNTED; // Redis cannot be asked: the socket is let through uncounted
    }
    if (taken !== 1) return undefined;
    this.hold(slotId, key);
    return { release: () => this.release(slotId) };
  }

  private hold(slotId: string, key: string): void {
    this.held.set(slotId, key);
    // unref: an idle heartbeat never keeps a process alive that is otherwise done
    this.heartbeat ??= setInterval(() => void this.renew(), this.heartbeatMs).unref();
  }

  private async release(slotId: string): Promise<void> {
    const key = this.held.get(slotId);
    if (key === undefined) return;
    this.held.delete(slotId);
    if (!this.held.size) {
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
    }
    // A slot that cannot be removed now lapses with its lease.
    await this.redis.zrem(key, slotId).catch(() => 0);
  }

  private async renew(): Promise<void> {
    const slots = [...this.held];
    if (!slots.length) return;
    const keys = slots.map(([, key]) => key);
    const slotIds = slots.map(([slotId]) => slotId);
    // A missed renewal is retried on the next beat; the lease outlasts two of them.
    await this.redis.eval(RENEW_SCRIPT, keys.length, ...keys, this.leaseMs, ...slotIds).catch(() => undefined);
  }
}

export type AgentSocketSlotsOptions = { redis: Redis | undefined; prefix: string; maxPerUser: number };

/** Counted in Redis when the process has one, otherwise in memory. */
export function openAgentSocketSlots({ redis, prefix, maxPerUser }: AgentSocketSlotsOptions): AgentSocketSlots {
  return redis ? new RedisSocketSlots({ redis, prefix, maxPerUser }) : new MemorySocketSlots({ maxPerUser });
}

/** Prefix of the per-user sets; PROJECT_NAME keeps two deployments sharing one Redis apart. */
export const agentSocketKeyPrefix = (projectName: string): string => `${projectName}:agent-sockets:`;
