// What soak.ts and its children (soak/api.ts, soak/load.ts) tell each other over IPC.

/** The API process's memory (process.memoryUsage(), bytes) and its event-loop lag p99 since the last sample. */
export type StatsMessage = {
  type: 'stats';
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  lagP99Ms: number;
};

/** What the API process asks and answers besides its stats: a heap snapshot written to `file`, and how long that took. */
export type HeapSnapshotCommand = { type: 'heap-snapshot'; file: string };
export type HeapSnapshotMessage = { type: 'heap-snapshot'; file: string; ms: number };

/** Completed operations so far, and the failures by kind (e.g. `read 500`, `turn socket closed`). */
export type Counts = { reads: number; writes: number; turns: number; errors: Record<string, number> };

export type LoadCommand = { type: 'start' } | { type: 'counts' } | { type: 'stop' };
export type LoadMessage =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | ({ type: 'counts' } & Counts)
  /** After the last operation: the counts and the titles of every item created (each must be delivered once). */
  | ({ type: 'stopped'; created: string[] } & Counts);
