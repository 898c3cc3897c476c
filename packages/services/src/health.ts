import type { CheckResult, ReadyStatus } from '@personal-automations/contracts';
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

/** One part the service needs, checked by readiness: `database`, `redis`, or the embedded stand-ins. */
export type ReadinessCheck = { name: string; type?: string; run: () => Promise<unknown> };

export type HealthDeps = { checks: ReadinessCheck[]; serviceName: string; environment: string; version: string };

/** Liveness (the process answers) and readiness (every part it needs answers). */
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
    const results = await Promise.all(
      this.deps.checks.map((check) => timed(check.run, check.type === undefined ? {} : { type: check.type })),
    );
    const checks = Object.fromEntries(this.deps.checks.map((check, i) => [check.name, results[i]!]));
    const ok = results.every((result) => result.status === 'healthy');
    return { status: ok ? 'ready' : 'not_ready', timestamp: isoOffset(new Date()), service: this.deps.serviceName, checks };
  }
}
