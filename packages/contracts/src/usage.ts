// Token usage: what the model API reported for a user's agent turns, per UTC day and model
// (GET /usage, GET /users/{user_id}/usage), with the daily quota (AGENT_DAILY_TOKEN_QUOTA).
import { z } from 'zod';
import { DateTime, UuidString } from './common.ts';
import { UserIdParam } from './users.ts';

/** The longest range one report covers, in days (both ends included): each report is one bounded query. */
export const USAGE_MAX_RANGE_DAYS = 366;
/** Without `from`, a report starts this many days before `to` (both ends included). */
export const USAGE_DEFAULT_RANGE_DAYS = 30;

const DAY_MS = 86_400_000;

/** A calendar day in a query, `YYYY-MM-DD` (checked against the calendar: 2025-02-30 is refused). */
const dayParam = (description: string) =>
  z.iso
    .date({ error: 'Value error, Input should be a valid date in the format YYYY-MM-DD' })
    .meta({ format: 'date', example: '2025-01-31', description })
    .optional();

/** A day in a response (valid by construction). */
const DayString = z.string().meta({ format: 'date', example: '2025-01-31' });

/** The UTC day of an instant, `YYYY-MM-DD`: usage days and the quota's day are UTC days. */
export const utcDay = (at: Date): string => at.toISOString().slice(0, 10);

/** `day` moved by `days` (negative: earlier). */
export const addDays = (day: string, days: number): string => utcDay(new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS));

/** Days from `from` to `to`, both included (1 for the same day, ≤ 0 when `from` is after `to`). */
export const daysSpanned = (from: string, to: string): number => Math.round((Date.parse(to) - Date.parse(from)) / DAY_MS) + 1;

export type UsageRange = { from: string; to: string };

/** The range a query asks for, its defaults filled in: `to` today (UTC), `from` USAGE_DEFAULT_RANGE_DAYS before `to`. */
export function resolveUsageRange(query: { from?: string | undefined; to?: string | undefined }, now = new Date()): UsageRange {
  const to = query.to ?? utcDay(now);
  return { from: query.from ?? addDays(to, 1 - USAGE_DEFAULT_RANGE_DAYS), to };
}

const rangeFields = {
  from: dayParam(`First day (UTC), included; default: ${USAGE_DEFAULT_RANGE_DAYS - 1} days before \`to\``),
  to: dayParam(`Last day (UTC), included; default: today. The range spans at most ${USAGE_MAX_RANGE_DAYS} days`),
};

/**
 * `from` and `to`, each a valid day or absent. The rules between them (`from` not after `to`, at most
 * USAGE_MAX_RANGE_DAYS days, defaults included) are the service's: a 422 with the error envelope.
 */
export const UsageQuery = z.object(rangeFields);
export type UsageQuery = z.infer<typeof UsageQuery>;

export const UserUsageQuery = UserIdParam.extend(rangeFields);
export type UserUsageQuery = z.infer<typeof UserUsageQuery>;

const Tokens = z.number().int().gte(0);

export const UsageTotals = z
  .object({
    prompt_tokens: Tokens,
    completion_tokens: Tokens,
    total_tokens: Tokens,
    requests: Tokens.meta({ description: 'Model requests whose usage the model API reported (a turn with tool calls makes several)' }),
  })
  .meta({ id: 'UsageTotals' });
export type UsageTotals = z.infer<typeof UsageTotals>;

export const UsageDay = UsageTotals.extend({ day: DayString, model: z.string() }).meta({ id: 'UsageDay' });
export type UsageDay = z.infer<typeof UsageDay>;

export const UsageQuota = z
  .object({
    daily_tokens: Tokens.nullable().meta({ description: 'AGENT_DAILY_TOKEN_QUOTA; null when there is none' }),
    used_today: Tokens.meta({ description: 'Prompt and completion tokens of today (UTC), every model' }),
    remaining_today: Tokens.nullable().meta({ description: 'null when there is no quota' }),
    resets_at: DateTime.meta({ description: 'The next midnight UTC' }),
  })
  .meta({ id: 'UsageQuota' });
export type UsageQuota = z.infer<typeof UsageQuota>;

export const UsageReport = z
  .object({
    user_id: UuidString,
    from: DayString,
    to: DayString,
    days: z.array(UsageDay).meta({ description: 'One row per day and model with usage, oldest first; days without usage are left out' }),
    totals: UsageTotals,
    quota: UsageQuota,
  })
  .meta({ id: 'UsageReport' });
export type UsageReport = z.infer<typeof UsageReport>;
