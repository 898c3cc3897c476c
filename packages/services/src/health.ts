import type { CheckResult, ReadyStatus } from '@personal-automations/contracts';
import type { Database } from '@personal-automations/db';
import type { Redis } from 'ioredis';
import { isoOffset } from './serialize.ts';

/** A check that has not answered by then counts as failed, so /ready never hangs. */
const CHECK_TIMEOUT_MS = 3000;

async function timed(run: () => Promise<unknown>, extra: Partial<CheckResult> = {}): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`No answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
    });
    await Promise.race([run(), timeout]);
    return { status: 'healthy', latency_ms: Math.round((performance.now() - started) * 100) / 100, ...extra };
  } catch (error) {
    return { status: 'unhealthy', error: error instanceof Error ? error.message : String(error), ...extra };
  } finally {
    clearTimeout(timer);
  }
}

export type HealthDeps = { db: Database; redis: Redis; serviceName: string; environment: string; version: string };

/** Liveness (the process answers) and readiness (PostgreSQL and Redis answer). */
export class HealthService {
  private readonly deps: HealthDeps;
  constructor(deps: HealthDeps) {
    this.deps = deps;
  }

  live() {
    return {
      status: 'alive' as const,
      timestamp: isoOffset(new Date()),
      service: this.deps.serviceName,
      details: { version: this.deps.version, environment: this.deps.environment },
    };
  }

  async ready(): Promise<ReadyStatus> {
    const [database, redis] = await Promise.all([
      timed(() => this.deps.db.$queryRaw`SELECT 1`, { type: 'postgresql' }),
      timed(async () => {
        if ((await this.deps.redis.ping()) !== 'PONG') throw new Error('Ping failed');
      }),
    ]);
    const ok = database.status === 'healthy' && redis.status === 'healthy';
    return { status: ok ? 'ready' : 'not_ready', timestamp: isoOffset(new Date()), service: this.deps.serviceName, checks: { database, redis } };
  }
}
