// Reads of one list that arrive together share one statement: the calls of one tRPC batch (pages
// 1 to 10 at once), or requests for the same list answered in the same turn of the event loop.
// Their windows are merged where they lie close (at most `maxRows` rows read in all), the rows
// read once and sliced per call; the total comes with them. Each statement reads one snapshot, so
// a merged call sees exactly what it would have seen alone at that moment.
//
// At most `maxInFlight` rounds of reads run at once (a round: the statements that read the calls
// waiting together, one per group of close windows). Calls that arrive while that many run wait
// for one to finish and are then read together: a call that would otherwise wait for a
// pooled connection waits here instead, and shares its statement. A call never joins a statement
// that began before it arrived, so it still sees every write acknowledged before it was made.
import type { Window } from './pagination.ts';

export type RowsAndTotal<Row> = { rows: Row[]; total: number | undefined };

type Waiting<Row> = { window: Window; resolve: (answer: RowsAndTotal<Row>) => void; reject: (error: unknown) => void };

export class CoalescedWindows<Row> {
  private readonly readWindow: (window: Window) => Promise<RowsAndTotal<Row>>;
  private readonly maxRows: number;
  private readonly maxInFlight: number;
  private waiting: Waiting<Row>[] = [];
  private flushScheduled = false;
  private inFlight = 0;

  constructor(readWindow: (window: Window) => Promise<RowsAndTotal<Row>>, maxRows: number, maxInFlight = Number.POSITIVE_INFINITY) {
    this.readWindow = readWindow;
    this.maxRows = maxRows;
    this.maxInFlight = maxInFlight;
  }

  /** The rows of `window` (and the total), read with the other windows asked for in this turn (or while the rounds in flight ran). */
  read(window: Window): Promise<RowsAndTotal<Row>> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ window, resolve, reject });
      this.scheduleFlush();
    });
  }

  /** Reads the waiting calls after this turn's other calls have joined them, once a read may start. */
  private scheduleFlush(): void {
    if (this.flushScheduled || !this.waiting.length || this.inFlight >= this.maxInFlight) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    const calls = this.waiting.sort((a, b) => a.window.skip - b.window.skip);
    this.waiting = [];
    const reads: Promise<void>[] = [];
    let group: Waiting<Row>[] = [];
    let start = 0;
    let end = 0;
    for (const call of calls) {
      const callEnd = call.window.skip + call.window.take;
      if (group.length && Math.max(end, callEnd) - start <= this.maxRows) {
        group.push(call);
        end = Math.max(end, callEnd);
        continue;
      }
      if (group.length) reads.push(this.readGroup(group, start, end));
      group = [call];
      start = call.window.skip;
      end = callEnd;
    }
    if (group.length) reads.push(this.readGroup(group, start, end));
    this.inFlight++;
    void Promise.allSettled(reads).then(() => {
      this.inFlight--;
      this.scheduleFlush();
    });
  }

  /** Reads one group's rows and answers its calls; settles once they are answered. */
  private readGroup(group: Waiting<Row>[], start: number, end: number): Promise<void> {
    return this.readWindow({ skip: start, take: end - start }).then(
      ({ rows, total }) => {
        for (const { window, resolve } of group) {
          const from = window.skip - start;
          resolve({ rows: rows.slice(from, from + window.take), total });
        }
      },
      (error: unknown) => {
        for (const { reject } of group) reject(error);
      },
    );
  }
}
