// Token usage per user, UTC day and model: recorded from the usage figures the model API reports
// for each of the agent's requests, read back as reports (GET /usage, GET /users/{user_id}/usage),
// and held against the daily quota (AGENT_DAILY_TOKEN_QUOTA) before a turn starts.
import {
  daysSpanned,
  resolveUsageRange,
  USAGE_MAX_RANGE_DAYS,
  type UsageDay,
  type UsageQuery,
  type UsageQuota,
  type UsageRange,
  type UsageReport,
  type UsageTotals,
  utcDay,
} from '@personal-automations/contracts';
import type { Database } from '@personal-automations/db';
import { agentUsageRecordFailures } from '@personal-automations/observability';
import { NotFoundError, RateLimitError, ValidationError } from './errors.ts';
import { isoOffset } from './serialize.ts';

/** Sent as the agent socket's `error` event (and a 429's message) when a user's tokens of the day reached the quota. */
export const QUOTA_EXCEEDED = 'Daily token quota exceeded';

/** The `model` column's width: a longer AI_MODEL is cut, not refused. */
const MODEL_CHARACTERS = 100;

/** One model request's reported tokens. */
export type UsageEntry = { userId: string; model: string; promptTokens: number; completionTokens: number };

/** What the agent needs of the usage records: a place to put each request's tokens. */
export interface UsageRecorder {
  record(entry: UsageEntry): Promise<void>;
}

/** Counts from the model API, made safe to add: whole and not negative, whatever a compatible server sends. */
const tokenCount = (value: number): number => (Number.isFinite(value) && value > 0 ? Math.floor(value) : 0);

const midnightAfter = (now: Date): Date => new Date(Date.parse(`${utcDay(now)}T00:00:00Z`) + 86_400_000);

type UsageRow = { day: Date; model: string; promptTokens: bigint; completionTokens: bigint; requests: number };

function toUsageDay(row: UsageRow): UsageDay {
  const [prompt, completion] = [Number(row.promptTokens), Number(row.completionTokens)];
  return {
    day: utcDay(row.day),
    model: row.model,
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    requests: row.requests,
  };
}

function totalsOf(days: UsageDay[]): UsageTotals {
  const totals = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, requests: 0 };
  for (const day of days) {
    totals.prompt_tokens += day.prompt_tokens;
    totals.completion_tokens += day.completion_tokens;
    totals.total_tokens += day.total_tokens;
    totals.requests += day.requests;
  }
  return totals;
}

/**
 * The range a report covers, its defaults filled in. The rules between the two days are checked
 * here, not in the contract: the OpenAPI document can say what each day is, not how they relate.
 */
function rangeOf(query: UsageQuery, now: Date): UsageRange {
  const range = resolveUsageRange(query, now);
  const days = daysSpanned(range.from, range.to);
  if (days < 1) throw new ValidationError('`from` must not be after `to`', range);
  if (days > USAGE_MAX_RANGE_DAYS)
    throw new ValidationError(`The range may span at most ${USAGE_MAX_RANGE_DAYS} days`, {
      ...range,
      days,
      max_days: USAGE_MAX_RANGE_DAYS,
    });
  return range;
}

export type UsageOptions = {
  /** AGENT_DAILY_TOKEN_QUOTA: prompt + completion tokens per user per UTC day, every model; 0 = no quota. */
  dailyTokenQuota: number;
};

export class UsageService implements UsageRecorder {
  private readonly db: Database;
  private readonly dailyTokenQuota: number;

  constructor(db: Database, { dailyTokenQuota }: UsageOptions) {
    this.db = db;
    this.dailyTokenQuota = dailyTokenQuota;
  }

  /**
   * Adds one request's tokens to the user's row of the day and model, in one statement: concurrent
   * turns of the same user (several sockets, several API processes) add up instead of overwriting.
   * Best-effort, as the agent's other writes are: the answer has already been streamed, so a
   * failed write is counted (pa_agent_usage_record_failures_total) and the turn goes on.
   */
  async record({ userId, model, promptTokens, completionTokens }: UsageEntry, at = new Date()): Promise<void> {
    try {
      await this.db.$executeRaw`
        INSERT INTO token_usage (user_id, day, model, prompt_tokens, completion_tokens, requests, updated_at)
        VALUES (${userId}::uuid, ${utcDay(at)}::date, ${model.slice(0, MODEL_CHARACTERS)}, ${tokenCount(promptTokens)},
                ${tokenCount(completionTokens)}, 1, now())
        ON CONFLICT (user_id, day, model) DO UPDATE SET
          prompt_tokens = token_usage.prompt_tokens + EXCLUDED.prompt_tokens,
          completion_tokens = token_usage.completion_tokens + EXCLUDED.completion_tokens,
          requests = token_usage.requests + 1,
          updated_at = now()`;
    } catch {
      agentUsageRecordFailures.inc();
    }
  }

  /**
   * Refuses a turn once the user's tokens of the (UTC) day have reached the quota: a RateLimitError
   * (429 on tRPC/REST, the `error` event on the socket) whose retry is the next midnight UTC.
   * A turn that starts under the quota may end over it; the next one is refused.
   */
  async admitTurn(userId: string, now = new Date()): Promise<void> {
    if (this.dailyTokenQuota === 0) return;
    if ((await this.usedOn(userId, utcDay(now))) < this.dailyTokenQuota) return;
    throw new RateLimitError(QUOTA_EXCEEDED, Math.ceil((midnightAfter(now).getTime() - now.getTime()) / 1000));
  }

  /** The user's usage from `query.from` to `query.to` (UTC days, both included), per day and model, with totals and the quota. */
  async report(userId: string, query: UsageQuery, now = new Date()): Promise<UsageReport> {
    const { from, to } = rangeOf(query, now);
    const [rows, quota] = await Promise.all([
      this.db.tokenUsage.findMany({
        where: { userId, day: { gte: new Date(from), lte: new Date(to) } },
        select: { day: true, model: true, promptTokens: true, completionTokens: true, requests: true },
        orderBy: [{ day: 'asc' }, { model: 'asc' }],
      }),
      this.quotaOf(userId, now),
    ]);
    const days = rows.map(toUsageDay);
    return { user_id: userId, from, to, days, totals: totalsOf(days), quota };
  }

  /** The same for any user (the admin route): an unknown user is 404, not an empty report. */
  async reportFor(userId: string, query: UsageQuery, now = new Date()): Promise<UsageReport> {
    rangeOf(query, now); // a bad range is a 422 whether or not the user exists
    if (!(await this.db.user.findUnique({ where: { id: userId }, select: { id: true } })))
      throw new NotFoundError('User not found', { user_id: userId });
    return this.report(userId, query, now);
  }

  private async quotaOf(userId: string, now: Date): Promise<UsageQuota> {
    const used = await this.usedOn(userId, utcDay(now));
    const limit = this.dailyTokenQuota || null;
    return {
      daily_tokens: limit,
      used_today: used,
      remaining_today: limit === null ? null : Math.max(0, limit - used),
      resets_at: isoOffset(midnightAfter(now)),
    };
  }

  /** Prompt + completion tokens of one UTC day, every model. */
  private async usedOn(userId: string, day: string): Promise<number> {
    const { _sum } = await this.db.tokenUsage.aggregate({
      where: { userId, day: new Date(day) },
      _sum: { promptTokens: true, completionTokens: true },
    });
    return Number(_sum.promptTokens ?? 0n) + Number(_sum.completionTokens ?? 0n);
  }
}
