// Reads of one list that arrive together share one statement: the calls of one tRPC batch (pages
// 1 to 10 at once), or requests for the same list answered in the same turn of the event loop.
// Their windows are merged where they lie close (at most `maxRows` rows read in all), the rows
// read once and sliced per call; the total comes with them. Each statement reads one snapshot, so
// a merged call sees exactly what it would have seen alone at that moment.
import type { Window } from './pagination.ts';

export type RowsAndTotal<Row> = { rows: Row[]; total: number | undefined };

type Waiting<Row> = { window: Window; resolve: (answer: RowsAndTotal<Row>) => void; reject: (error: unknown) => void };

export class CoalescedWindows<Row> {
  private readonly readWindow: (window: Window) => Promise<RowsAndTotal<Row>>;
  private readonly maxRows: number;
  private waiting: Waiting<Row>[] = [];

  constructor(readWindow: (window: Window) => Promise<RowsAndTotal<Row>>, maxRows: number) {
    this.readWindow = readWindow;
    this.maxRows = maxRows;
  }

  /** The rows of `window` (and the total), read with the other windows asked for in this turn. */
  read(window: Window): Promise<RowsAndTotal<Row>> {
    return new Promise((resolve, reject) => {
      // The first call of a turn schedules the read after the turn's other calls have joined it.
      if (this.waiting.push({ window, resolve, reject }) === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const calls = this.waiting.sort((a, b) => a.window.skip - b.window.skip);
    this.waiting = [];
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
      if (group.length) this.readGroup(group, start, end);
      group = [call];
      start = call.window.skip;
      end = callEnd;
    }
    if (group.length) this.readGroup(group, start, end);
  }

  private readGroup(group: Waiting<Row>[], start: number, end: number): void {
    this.readWindow({ skip: start, take: end - start }).then(
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
