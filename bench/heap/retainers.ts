// What a process's heap holds, and what changed between two snapshots of it (e.g. the soak's
// BENCH_HEAP_SNAPSHOTS: at idle and at the plateau). Reads V8 .heapsnapshot files (snapshot.ts
// computes the dominator tree and retained sizes, as DevTools does) and prints:
//   - per group (constructor, or a kind such as `(string)`, `(compiled code)`, `system / Context`):
//     count, self size and retained size in each snapshot and the change, the largest first;
//   - the groups that grew most in self size;
//   - with two snapshots, the objects of the second that were allocated after the first and are
//     still alive (by V8's object ids, stable within one process), per group;
//   - the largest single retainers of the last snapshot with their chain of holders.
// Snapshots are taken after a full GC: everything in them is reachable.
//
// Usage: node heap/retainers.ts <first.heapsnapshot> [<second.heapsnapshot>]   (from bench/; a
// tool, not a benchmark: scripts/bench.sh runs only the top-level scripts)
// Settings: HEAP_TOP rows per table (default 12); HEAP_GROUPS, comma-separated group names
// (e.g. LoginCache,Socket) to print in a table of their own whatever their size. Two snapshots of a 75–85 MiB heap (30–40 MB
// files) take about 3 s and 500 MiB; for much larger ones, node --max-old-space-size=4096.
import path from 'node:path';
import { intEnv } from '../lib/env.ts';
import { fmt, table } from '../lib/report.ts';
import { type GroupSums, groupSums, holders, label, largestRetainers, newSince } from './groups.ts';
import { type HeapGraph, readHeapSnapshot } from './snapshot.ts';

const top = intEnv('HEAP_TOP', 12, 1, 1000);
const named = (process.env.HEAP_GROUPS ?? '')
  .split(',')
  .map((g) => g.trim())
  .filter(Boolean);
const MiB = 2 ** 20;
const mib = (bytes: number) => fmt(bytes / MiB, 2);
const signed = (bytes: number) => `${bytes >= 0 ? '+' : ''}${mib(bytes)}`;
const NONE: GroupSums = { count: 0, self: 0, retained: 0 };

type Read = { name: string; graph: HeapGraph; sums: Map<string, GroupSums>; total: number };

function read(file: string): Read {
  const started = performance.now();
  const graph = readHeapSnapshot(file);
  const sums = groupSums(graph);
  const total = graph.selfSize.reduce((a, b) => a + b, 0);
  console.log(
    `${path.basename(file)}: ${fmt(graph.count)} objects, ${mib(total)} MiB (read in ${fmt((performance.now() - started) / 1000, 1)} s)`,
  );
  return { name: path.basename(file, '.heapsnapshot'), graph, sums, total };
}

/** The groups by retained size in the last snapshot, with the first's figures beside them. */
function groupTable(first: Read, last: Read): void {
  const names = [...last.sums.keys()].sort((a, b) => last.sums.get(b)!.retained - last.sums.get(a)!.retained).slice(0, top);
  const two = first !== last;
  const headers = ['group', 'count', 'self MiB', 'retained MiB', ...(two ? ['count before', 'retained before', 'Δ retained'] : [])];
  const rows = names.map((name) => {
    const a = first.sums.get(name) ?? NONE;
    const b = last.sums.get(name)!;
    const change = two ? [fmt(a.count), mib(a.retained), signed(b.retained - a.retained)] : [];
    return [name, fmt(b.count), mib(b.self), mib(b.retained), ...change];
  });
  console.log(`\nlargest groups by retained size (${last.name}${two ? `, against ${first.name}` : ''})\n${table(headers, rows)}`);
}

/** The groups HEAP_GROUPS names, in each snapshot. */
function namedTable(first: Read, last: Read): void {
  const rows = named.map((name) => {
    const a = first.sums.get(name) ?? NONE;
    const b = last.sums.get(name) ?? NONE;
    return [name, fmt(a.count), fmt(b.count), mib(a.retained), mib(b.retained), signed(b.retained - a.retained)];
  });
  console.log(
    `\nnamed groups, ${first.name} → ${last.name}\n` +
      table(['group', 'count before', 'count after', 'retained before', 'retained after', 'Δ retained MiB'], rows),
  );
}

/** The groups whose self size grew (or shrank) most from the first snapshot to the second. */
function growthTable(first: Read, last: Read): void {
  const names = new Set([...first.sums.keys(), ...last.sums.keys()]);
  const change = (name: string) => (last.sums.get(name) ?? NONE).self - (first.sums.get(name) ?? NONE).self;
  const sorted = [...names].sort((a, b) => Math.abs(change(b)) - Math.abs(change(a))).slice(0, top);
  const rows = sorted.map((name) => {
    const a = first.sums.get(name) ?? NONE;
    const b = last.sums.get(name) ?? NONE;
    return [name, fmt(a.count), fmt(b.count), mib(a.self), mib(b.self), signed(b.self - a.self)];
  });
  console.log(
    `\nlargest changes in self size, ${first.name} → ${last.name} (total ${signed(last.total - first.total)} MiB)\n` +
      table(['group', 'count before', 'count after', 'self before', 'self after', 'Δ self MiB'], rows),
  );
}

/** The objects of the last snapshot allocated after the first one, per group. */
function newTable(first: Read, last: Read): void {
  const sums = newSince(first.graph, last.graph);
  const all = [...sums.values()].reduce((a, b) => ({ count: a.count + b.count, self: a.self + b.self }), { count: 0, self: 0 });
  const rows = [...sums.entries()]
    .sort(([, a], [, b]) => b.self - a.self)
    .slice(0, top)
    .map(([name, s]) => [name, fmt(s.count), mib(s.self)]);
  console.log(
    `\nalive in ${last.name} and allocated after ${first.name}: ${fmt(all.count)} objects, ${mib(all.self)} MiB\n` +
      table(['group', 'count', 'self MiB'], rows),
  );
}

/** The largest single retainers of the last snapshot, each with the objects that hold it. */
function retainerTable(last: Read): void {
  const { graph } = last;
  const rows = largestRetainers(graph, top).map((node) => [
    label(graph, node),
    mib(graph.retained[node]!),
    holders(graph, node, 3).join(' ← ') || '(a root)',
  ]);
  console.log(`\nlargest single retainers (${last.name})\n${table(['object (held as)', 'retained MiB', 'held by (nearest first)'], rows)}`);
}

function main(): number {
  const files = process.argv.slice(2);
  if (files.length < 1 || files.length > 2) {
    console.error('usage: node heap/retainers.ts <first.heapsnapshot> [<second.heapsnapshot>]');
    return 2;
  }
  const first = read(files[0]!);
  const last = files[1] ? read(files[1]) : first;
  groupTable(first, last);
  if (last !== first) {
    growthTable(first, last);
    newTable(first, last);
  }
  retainerTable(last);
  if (named.length) namedTable(first, last);
  return 0;
}

process.exitCode = main();
