import { z } from 'zod';
import { DateTime } from './common.ts';

export const HealthStatus = z.object({ status: z.literal('healthy') }).meta({ id: 'HealthStatus' });

export const LiveStatus = z
  .object({
    status: z.literal('alive'),
    timestamp: DateTime,
    service: z.string(),
    details: z.object({ version: z.string(), environment: z.string() }),
  })
  .meta({ id: 'LiveStatus' });

export const CheckResult = z
  .object({
    status: z.enum(['healthy', 'unhealthy']),
    latency_ms: z.number().optional(),
    type: z.string().optional(),
    error: z.string().optional(),
  })
  .meta({ id: 'CheckResult' });
export type CheckResult = z.infer<typeof CheckResult>;

export const ReadyStatus = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    timestamp: DateTime,
    service: z.string(),
    checks: z.record(z.string(), CheckResult),
  })
  .meta({ id: 'ReadyStatus', description: 'Sent with 200 when ready, 503 when a check fails' });
export type ReadyStatus = z.infer<typeof ReadyStatus>;
