// Periodic jobs of the database job backend. Every process that registers a repeat inserts the
// run of the current period under a deterministic id (`<job>:<period number>`), so however many
// processes do it, each period runs once.
import type { JobOptions } from '../backend.ts';
import { insertRepeatRun, type SqlClient } from './statements.ts';

/** Finished runs stay readable for a day, and at least two periods (so no late process re-adds a period). */
const runOptions = (everyMs: number): JobOptions => {
  const seconds = Math.max(24 * 3600, Math.ceil((2 * everyMs) / 1000));
  return { attempts: 1, keep: { completedSeconds: seconds, failedSeconds: seconds } };
};

/** A registration that failed (the database is away) is tried again after this long at most. */
const RETRY_MS = 1000;
/** Fires a little after a period starts, so the clock is surely in the new period. */
const BOUNDARY_MARGIN_MS = 5;

export class RepeatSchedule {
  private readonly db: SqlClient;
  private readonly queue: string;
  private readonly jobName: string;
  private readonly everyMs: number;
  private readonly onAdded: () => void;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private firstRun: (() => void) | undefined;

  constructor(db: SqlClient, queue: string, jobName: string, everyMs: number, onAdded: () => void) {
    this.db = db;
    this.queue = queue;
    this.jobName = jobName;
    this.everyMs = everyMs;
    this.onAdded = onAdded;
  }

  /** Adds the current period's run, waiting for the database if it is away; then keeps adding one per period. */
  start(): Promise<void> {
    return new Promise((resolve) => {
      this.firstRun = resolve;
      void this.tick();
    });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.firstRun?.();
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const period = Math.floor(Date.now() / this.everyMs);
    try {
      await insertRepeatRun(this.db, {
        queue: this.queue,
        id: `${this.jobName}:${period}`,
        name: this.jobName,
        data: {},
        options: runOptions(this.everyMs),
      });
    } catch {
      this.schedule(Math.min(this.everyMs, RETRY_MS));
      return;
    }
    this.onAdded();
    this.firstRun?.();
    this.firstRun = undefined;
    this.schedule((period + 1) * this.everyMs - Date.now() + BOUNDARY_MARGIN_MS);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), Math.max(0, delayMs));
  }
}
