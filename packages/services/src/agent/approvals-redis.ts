// The tool approvals on Redis, shared by every API process. A pending approval is the key
// `<PROJECT_NAME>:agent-approvals:pending:<conversation id>` (JSON: its id, user, action requests
// and expiry), expiring with the timeout. A decision, on whichever process the `resume` frame
// reached, is checked against that value and then, in one script, swaps it for the key
// `...:decided:<approval id>` holding the decisions and publishes the approval's id on the channel
// `<PROJECT_NAME>:agent-approvals`. The process running the turn listens there (one subscriber
// connection for all its waiting turns) and takes the decisions from the key; it also looks for
// them each time its subscriber (re)subscribes, since a message published meanwhile is lost, and at
// the timeout. Taking, timing out and withdrawing are scripts too: a decision and the timeout
// cannot both win, and a `decide` that succeeded reaches its turn.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { AgentActionRequest, AgentDecision } from '@personal-automations/contracts';
import { BadRequestError, ServiceUnavailableError } from '../errors.ts';
import { type AgentApprovals, type ApprovalRequest, checkDecisions, MemoryApprovals, NO_APPROVAL_PENDING, rejectAll } from './approvals.ts';

/** How long decisions stay for their turn to take them, beyond the timeout (the turn takes them at once, or at its timeout at the latest). */
const DECIDED_GRACE_MS = 60_000;
export const APPROVALS_UNAVAILABLE = 'Tool approval is unavailable: try again later';

/** KEYS: the pending key, the decided key. ARGV: the pending value read, the decisions, the decided TTL, the channel, the approval id. */
const DECIDE_SCRIPT = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1`;

/**
 * KEYS: the pending key, the decided key. ARGV: this turn's pending value, '1' when the wait is over
 * (timed out or withdrawn: the request is removed). The decisions when there are some; 'pending'
 * while the request waits; nil when it is gone (expired, replaced by a newer turn's, withdrawn).
 */
const TAKE_SCRIPT = `local decided = redis.call('GET', KEYS[2])
if decided then
  redis.call('DEL', KEYS[2])
  return decided
end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  if ARGV[2] == '1' then
    redis.call('DEL', KEYS[1])
    return false
  end
  return 'pending'
end
return false`;

const Pending = z.object({ id: z.string(), userId: z.string(), requests: z.array(AgentActionRequest), expiresAt: z.number() });
const Decisions = z.array(AgentDecision);

function parsePending(raw: string): z.infer<typeof Pending> | undefined {
  try {
    return Pending.safeParse(JSON.parse(raw)).data;
  } catch {
    return undefined;
  }
}

export type RedisApprovalsOptions = {
  /** Shared, failing fast while Redis is down. */
  redis: Redis;
  /** The subscriber connection, opened by the first request and closed with the approvals. */
  openSubscriber: () => Redis;
  /** `<PROJECT_NAME>:agent-approvals` */
  prefix: string;
  timeoutMs: number;
};

/** A turn of this process waiting for its decisions. */
type Waiter = { check: () => void };

export class RedisApprovals implements AgentApprovals {
  private readonly options: RedisApprovalsOptions;
  private readonly waiters = new Map<string, Waiter>();
  private subscriber: Redis | undefined;

  constructor(options: RedisApprovalsOptions) {
    this.options = options;
  }

  async request({ conversationId, userId, requests, signal }: ApprovalRequest): Promise<AgentDecision[]> {
    signal.throwIfAborted();
    this.listen();
    const id = randomUUID();
    const pending = JSON.stringify({ id, userId, requests, expiresAt: Date.now() + this.options.timeoutMs });
    const keys = [this.pendingKey(conversationId), this.decidedKey(id)] as const;
    await this.command(() => this.options.redis.set(keys[0], pending, 'PX', this.options.timeoutMs));
    return new Promise((resolve, reject) => {
      const finish = (outcome: () => void) => {
        if (!this.waiters.delete(id)) return;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        outcome();
      };
      // `over`: the wait has ended either way, so what is still pending is removed (and not run)
      const take = (over: boolean) =>
        this.take(keys, pending, over).then(
          (taken) => {
            if (taken === 'pending') return;
            finish(() => resolve(taken === 'gone' ? rejectAll(requests) : taken));
          },
          // Redis did not answer: a message's check waits for the next one; the timeout rejects
          () => over && finish(() => resolve(rejectAll(requests))),
        );
      const onAbort = () => {
        void this.take(keys, pending, true).catch(() => undefined);
        finish(() => reject(signal.reason));
      };
      const timer = setTimeout(() => void take(true), this.options.timeoutMs);
      this.waiters.set(id, { check: () => void take(false) });
      if (signal.aborted)
        onAbort(); // while the request was being stored
      else signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  async decide(userId: string, conversationId: string, decisions: AgentDecision[]): Promise<void> {
    const key = this.pendingKey(conversationId);
    const raw = await this.command(() => this.options.redis.get(key));
    const pending = raw === null ? undefined : parsePending(raw);
    if (!raw || pending?.userId !== userId) throw new BadRequestError(NO_APPROVAL_PENDING);
    checkDecisions(pending.requests, decisions);
    const decided = this.decidedKey(pending.id);
    const { timeoutMs, prefix } = this.options;
    const args = [raw, JSON.stringify(decisions), timeoutMs + DECIDED_GRACE_MS, prefix, pending.id];
    const won = await this.command(() => this.options.redis.eval(DECIDE_SCRIPT, 2, key, decided, ...args));
    // someone else's decision came first, or the approval expired meanwhile
    if (won !== 1) throw new BadRequestError(NO_APPROVAL_PENDING);
  }

  async close(): Promise<void> {
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }

  private async take(keys: readonly [string, string], pending: string, over: boolean): Promise<AgentDecision[] | 'pending' | 'gone'> {
    const taken = (await this.options.redis.eval(TAKE_SCRIPT, 2, ...keys, pending, over ? '1' : '0')) as string | null;
    if (taken === null) return 'gone';
    if (taken === 'pending') return taken;
    return Decisions.parse(JSON.parse(taken));
  }

  /**
   * Opens the subscriber on first use. Each time it is subscribed (at first, and again after a
   * reconnection) every waiting turn looks for its decisions: one published while this process was
   * not subscribed was not delivered. So a request need not wait for the subscription.
   */
  private listen(): void {
    if (this.subscriber) return;
    const subscriber = this.options.openSubscriber();
    subscriber.on('message', (_channel: string, id: string) => this.waiters.get(id)?.check());
    subscriber.on('ready', () => {
      subscriber.subscribe(this.options.prefix).then(
        () => {
          for (const waiter of this.waiters.values()) waiter.check();
        },
        () => undefined,
      );
    });
    this.subscriber = subscriber;
  }

  /** A Redis command whose failure is the service's: the turn or the `resume` gets a typed error. */
  private async command<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      const unavailable = new ServiceUnavailableError(APPROVALS_UNAVAILABLE);
      unavailable.cause = error;
      throw unavailable;
    }
  }

  private pendingKey(conversationId: string): string {
    return `${this.options.prefix}:pending:${conversationId}`;
  }

  /** By the approval's id alone (a random UUID): no conversation id a client sends can name it. */
  private decidedKey(id: string): string {
    return `${this.options.prefix}:decided:${id}`;
  }
}

export type ApprovalsOptions = Omit<RedisApprovalsOptions, 'redis'> & { redis: Redis | undefined };

/** Stored in Redis when the process has one, otherwise in memory. */
export function openApprovals({ redis, ...options }: ApprovalsOptions): AgentApprovals {
  return redis ? new RedisApprovals({ redis, ...options }) : new MemoryApprovals(options);
}

/** The approvals' keys and channel; PROJECT_NAME keeps two deployments sharing one Redis apart. */
export const agentApprovalPrefix = (projectName: string): string => `${projectName}:agent-approvals`;
