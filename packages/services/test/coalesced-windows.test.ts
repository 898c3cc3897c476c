// Windows of one list asked for in the same turn share one read; each gets exactly its own rows.
import { describe, expect, it } from 'vitest';
import { CoalescedWindows } from '../src/coalesced-windows.ts';
import type { Window } from '../src/pagination.ts';

const TABLE = Array.from({ length: 100 }, (_, i) => i);

/** A list over TABLE that records each read it serves. */
function source(maxRows: number) {
  const reads: Window[] = [];
  const windows = new CoalescedWindows(async (window: Window) => {
    reads.push(window);
    const rows = TABLE.slice(window.skip, window.skip + window.take);
    return { rows, total: rows.length ? TABLE.length : undefined };
  }, maxRows);
  return { windows, reads };
}

/** Resolves once `count` reads have started (each flush runs on a later turn). */
async function waitForReads(started: unknown[], count: number): Promise<void> {
  while (started.length < count) await new Promise((resolve) => setImmediate(resolve));
}

describe('CoalescedWindows', () => {
  it('reads windows asked for together once, and slices each its own rows', async () => {
    const { windows, reads } = source(50);
    const asked = [
      { skip: 20, take: 10 },
      { skip: 0, take: 10 },
      { skip: 10, take: 10 },
      { skip: 5, take: 3 },
    ];
    const answers = await Promise.all(asked.map((window) => windows.read(window)));
    expect(reads).toEqual([{ skip: 0, take: 30 }]);
    answers.forEach((answer, i) => {
      const { skip, take } = asked[i]!;
      expect(answer).toEqual({ rows: TABLE.slice(skip, skip + take), total: 100 });
    });
  });

  it('reads windows far apart (more than maxRows in all) separately', async () => {
    const { windows, reads } = source(30);
    const [near, far] = await Promise.all([windows.read({ skip: 0, take: 10 }), windows.read({ skip: 60, take: 10 })]);
    expect(reads).toEqual([
      { skip: 0, take: 10 },
      { skip: 60, take: 10 },
    ]);
    expect(near.rows).toEqual(TABLE.slice(0, 10));
    expect(far.rows).toEqual(TABLE.slice(60, 70));
  });

  it('gives an empty window past the end the total when others read rows, none when all are empty', async () => {
    const { windows } = source(1000);
    const [inside, past] = await Promise.all([windows.read({ skip: 90, take: 10 }), windows.read({ skip: 100, take: 10 })]);
    expect(inside).toEqual({ rows: TABLE.slice(90), total: 100 });
    expect(past).toEqual({ rows: [], total: 100 });
    expect(await windows.read({ skip: 500, take: 10 })).toEqual({ rows: [], total: undefined });
  });

  it('holds calls made while a read runs, then reads them together; never joins a read begun before them', async () => {
    const started: Array<{ window: Window; finish: () => void }> = [];
    const windows = new CoalescedWindows(
      (window: Window) =>
        new Promise<{ rows: number[]; total: number }>((resolve) => {
          started.push({
            window,
            finish: () => resolve({ rows: TABLE.slice(window.skip, window.skip + window.take), total: TABLE.length }),
          });
        }),
      1000,
      1,
    );
    const first = windows.read({ skip: 0, take: 10 });
    await waitForReads(started, 1);
    // asked for while the first read runs: none may share it (it began before they were asked)
    const later = [windows.read({ skip: 0, take: 10 }), windows.read({ skip: 10, take: 10 }), windows.read({ skip: 30, take: 5 })];
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toHaveLength(1);
    started[0]!.finish();
    expect((await first).rows).toEqual(TABLE.slice(0, 10));
    await waitForReads(started, 2);
    expect(started.map((read) => read.window)).toEqual([
      { skip: 0, take: 10 },
      { skip: 0, take: 35 },
    ]);
    started[1]!.finish();
    expect((await Promise.all(later)).map((answer) => answer.rows)).toEqual([TABLE.slice(0, 10), TABLE.slice(10, 20), TABLE.slice(30, 35)]);
  });

  it('reads again after a failed read held calls back', async () => {
    let reads = 0;
    const windows = new CoalescedWindows(
      async () => {
        reads++;
        if (reads === 1) throw new Error('database unreachable');
        return { rows: [1], total: 1 };
      },
      100,
      1,
    );
    const first = windows.read({ skip: 0, take: 1 });
    const held = windows.read({ skip: 0, take: 1 }); // same turn: shares the failing read
    await expect(first).rejects.toThrow('database unreachable');
    await expect(held).rejects.toThrow('database unreachable');
    expect(await windows.read({ skip: 0, take: 1 })).toEqual({ rows: [1], total: 1 });
    expect(reads).toBe(2);
  });

  it('reads again on the next turn, and passes a failed read to every call that shared it', async () => {
    let fail = true;
    let reads = 0;
    const windows = new CoalescedWindows(async () => {
      reads++;
      if (fail) throw new Error('database unreachable');
      return { rows: [1], total: 1 };
    }, 100);
    const failed = await Promise.allSettled([windows.read({ skip: 0, take: 1 }), windows.read({ skip: 0, take: 1 })]);
    expect(failed.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await windows.read({ skip: 0, take: 1 })).toEqual({ rows: [1], total: 1 });
    expect(reads).toBe(2);
  });
});
