// The budgets every API process draws on: requests and procedure calls per client, credential
// calls per IP, failed logins per account and agent turns per user. Counted in Redis (one
// counter per key and window, shared by every process) or, without Redis, in this process's
// memory. A Redis that cannot be asked does not stop a request: the call is let through
// uncounted (the readiness probe reports the outage).
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Settings } from '@personal-automations/config';
import { rateLimitRefusals } from '@personal-automations/observability';
import { LeasedBudget } from './leased-budget.ts';

export type BudgetName = 'default' | 'auth' | 'loginFailures' | 'agentTurns';
export type Budget = { max: number; periodSeconds: number };

/** What one draw on a budget found. `counted: false`: the store could not be asked, the call goes through. */
export type Draw =
  | { counted: true; allowed: boolean; limit: number; remaining: number; resetSeconds: number; periodSeconds: number }
  | { counted: false; allowed: true };

/** Where the counters live; a key's Redis name is `<prefix><budget part><key>`. */
export type RateLimitsOptions = {
  /** The counters' store; undefined counts in this process's memory. */
  redis: Redis | undefined;
  /** `<PROJECT_NAME>:rate-limit:`, so two deployments sharing one Redis stay apart. */
  prefix: string;
  budgets: Record<BudgetName, Budget>;
  /** False (RATE_LIMIT_ENABLED=false): every draw is allowed and nothing is counted. */
  enabled: boolean;
};

// Each budget's keys start with its own part, e.g. `auth:ip:127.0.0.1`; the default budget has none.
const KEY_PARTS: Record<BudgetName, string> = { default: '', auth: 'auth:', loginFailures: 'login-failures:', agentTurns: 'agent-turns:' };

/** Prefix of the Redis counters; PROJECT_NAME keeps two deployments sharing one Redis apart. */
export const rateLimitKeyPrefix = (settings: Pick<Settings, 'PROJECT_NAME'>): string => `${settings.PROJECT_NAME}:rate-limit:`;

export function budgetsFrom(settings: Settings): Record<BudgetName, Budget> {
  return {
    default: { max: settings.RATE_LIMIT_REQUESTS, periodSeconds: settings.RATE_LIMIT_PERIOD },
    auth: { max: settings.RATE_LIMIT_AUTH_REQUESTS, periodSeconds: settings.RATE_LIMIT_AUTH_PERIOD },
    loginFailures: { max: settings.LOGIN_MAX_FAILURES, periodSeconds: settings.LOGIN_FAILURE_WINDOW_SECONDS },
    agentTurns: { max: settings.AGENT_TURNS_PER_MINUTE, periodSeconds: 60 },
  };
}

/** An account's key: a hash of the lower-cased email, so the store holds no addresses and case cannot split the count. */
export const accountKey = (email: string): string => createHash('sha256').update(email.trim().toLowerCase()).digest('hex').slice(0, 32);

/**
 * The request budget is drawn from Redis in leases of a twentieth of it (at most 1,000 points),
 * leased-budget.ts; the other budgets (credentials, failed logins, agent turns) are small and
 * drawn one point at a time, so every process sees every attempt.
 */
const leaseSizeOf = (max: number): number => Math.max(1, Math.min(1000, Math.floor(max / 20)));
/** Clients whose leases one process keeps (least recently seen go first; theirs is then drawn afresh). */
const LEASED_CLIENTS = 50_000;

export class RateLimits {
  readonly enabled: boolean;
  readonly budgets: Record<BudgetName, Budget>;
  private readonly limiters: Record<BudgetName, RateLimiterAbstract>;
  private readonly requestLeases: LeasedBudget | undefined;

  constructor({ redis, prefix, budgets, enabled }: RateLimitsOptions) {
    this.enabled = enabled;
    this.budgets = budgets;
    const limiterOf = (name: BudgetName): RateLimiterAbstract => {
      const { max: points, periodSeconds: duration } = budgets[name];
      // keyPrefix is joined to the key with ':'; the prefix's own trailing ':' is that separator
      const keyPrefix = `${prefix}${KEY_PARTS[name]}`.replace(/:$/, '');
      return redis
        ? new RateLimiterRedis({ storeClient: redis, keyPrefix, points, duration, rejectIfRedisNotReady: true })
        : new RateLimiterMemory({ keyPrefix, points, duration });
    };
    this.limiters = {
      default: limiterOf('default'),
      auth: limiterOf('auth'),
      loginFailures: limiterOf('loginFailures'),
      agentTurns: limiterOf('agentTurns'),
    };
    if (redis) {
      const { max } = budgets.default;
      this.requestLeases = new LeasedBudget(this.limiters.default, { max, leaseSize: leaseSizeOf(max), maxKeys: LEASED_CLIENTS });
    }
  }

  /**
   * Takes `points` from `key`'s budget (one Redis round trip, or none while this process holds a
   * lease of the request budget); over budget when the window's count passes the maximum.
   */
  async consume(budget: BudgetName, key: string, points = 1): Promise<Draw> {
    if (!this.enabled) return { counted: false, allowed: true };
    const { max, periodSeconds } = this.budgets[budget];
    try {
      if (budget === 'default' && this.requestLeases) {
        const { allowed, remaining, msBeforeNext } = await this.requestLeases.consume(key, points);
        if (!allowed) rateLimitRefusals.inc({ policy: budget });
        return this.draw({ remainingPoints: remaining, msBeforeNext }, allowed, max, periodSeconds);
      }
      const res = await this.limiters[budget].consume(key, points);
      return this.draw(res, true, max, periodSeconds);
    } catch (outcome) {
      if (outcome instanceof RateLimiterRes) {
        rateLimitRefusals.inc({ policy: budget });
        return this.draw(outcome, false, max, periodSeconds);
      }
      return { counted: false, allowed: true }; // the store could not be asked
    }
  }

  /** Forgets `key`'s count (a successful login clears its failures). */
  async reset(budget: BudgetName, key: string): Promise<void> {
    if (!this.enabled) return;
    if (budget === 'default') this.requestLeases?.forget(key);
    await this.limiters[budget].delete(key).catch(() => false);
  }

  private draw(
    res: Pick<RateLimiterRes, 'remainingPoints' | 'msBeforeNext'>,
    allowed: boolean,
    limit: number,
    periodSeconds: number,
  ): Draw {
    return {
      counted: true,
      allowed,
      limit,
      remaining: res.remainingPoints,
      resetSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
      periodSeconds,
    };
  }
}
