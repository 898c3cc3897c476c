// While the database server is unreachable every request that needs it fails the same way. The
// API answers them 503 + Retry-After (never 500) and this records the outage: one line in the
// log when it starts and one when the database answers again, instead of one error per request.
import { isDatabaseUnavailable } from '@personal-automations/db';
import { ServiceUnavailableError } from './errors.ts';

/** The part of a pino logger the monitor writes to. */
export type OutageLogger = { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };

export const DATABASE_UNAVAILABLE = 'Service temporarily unavailable';
/** What a client is told to wait before trying again. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

export type DatabaseOutageOptions = {
  /** A query that succeeds once the database is back (SELECT 1). */
  probe: () => Promise<unknown>;
  /** How often the probe runs during an outage. */
  probeIntervalMs?: number;
};

export class DatabaseOutage {
  private readonly probe: () => Promise<unknown>;
  private readonly probeIntervalMs: number;
  private outage: { since: number; log: OutageLogger; timer?: NodeJS.Timeout } | undefined;

  constructor({ probe, probeIntervalMs = 1000 }: DatabaseOutageOptions) {
    this.probe = probe;
    this.probeIntervalMs = probeIntervalMs;
  }

  /**
   * The 503 to answer when `error` says the database cannot be used (the first one starts an
   * outage: logged, then probed until it ends), else undefined: `error` is some other failure.
   */
  unavailable(error: unknown, log: OutageLogger): ServiceUnavailableError | undefined {
    if (!isDatabaseUnavailable(error)) return undefined;
    if (!this.outage) {
      this.outage = { since: Date.now(), log };
      log.warn({ err: describe(error) }, 'database unavailable: answering 503 until it is reachable again');
      this.scheduleProbe();
    }
    return new ServiceUnavailableError(DATABASE_UNAVAILABLE, DATABASE_RETRY_AFTER_SECONDS);
  }

  close(): void {
    clearTimeout(this.outage?.timer);
    this.outage = undefined;
  }

  private scheduleProbe(): void {
    const outage = this.outage;
    if (!outage) return;
    outage.timer = setTimeout(() => {
      this.probe().then(
        () => {
          if (this.outage !== outage) return;
          this.outage = undefined;
          outage.log.info({ downForMs: Date.now() - outage.since }, 'database reachable again');
        },
        () => this.scheduleProbe(),
      );
    }, this.probeIntervalMs);
    outage.timer.unref();
  }
}

/** The error's kind for the log, without its multi-line message and stack. */
function describe(error: unknown): Record<string, unknown> {
  const { name, code } = error as { name?: unknown; code?: unknown };
  return { name, code };
}
