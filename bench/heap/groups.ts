// Sums over one heap graph (snapshot.ts): per group (constructor or kind) its count, self size and
// retained size, the largest single retainers with their chain of dominators, and the objects
// that are new since an earlier snapshot of the same process.
import type { HeapGraph } from './snapshot.ts';

export type GroupSums = { count: number; self: number; retained: number };

/** Children of each node in the dominator tree, flat: node i's from start[i] to start[i + 1]. */
function dominatorChildren(graph: HeapGraph): { start: Int32Array; children: Int32Array } {
  const start = new Int32Array(graph.count + 1);
  for (let node = 1; node < graph.count; node++) start[graph.dominator[node]! + 1]!++;
  for (let i = 0; i < graph.count; i++) start[i + 1]! += start[i]!;
  const fill = start.slice(0, graph.count);
  const children = new Int32Array(graph.count - 1);
  for (let node = 1; node < graph.count; node++) children[fill[graph.dominator[node]!]!++] = node;
  return { start, children };
}

/**
 * Per group: count, self size, and retained size without double counting: a member that another
 * member of its group dominates is already inside that one's retained size (as DevTools sums).
 */
export function groupSums(graph: HeapGraph): Map<string, GroupSums> {
  const sums = graph.groups.map(() => ({ count: 0, self: 0, retained: 0 }));
  const { start, children } = dominatorChildren(graph);
  const open = new Int32Array(graph.groups.length); // members of each group on the path from the root
  const stack: number[] = [0];
  const next = new Int32Array(graph.count);
  next[0] = start[0]!;
  const enter = (node: number) => {
    const g = graph.group[node]!;
    sums[g]!.count++;
    sums[g]!.self += graph.selfSize[node]!;
    if (open[g] === 0 && node !== 0) sums[g]!.retained += graph.retained[node]!;
    open[g]!++;
  };
  enter(0);
  while (stack.length) {
    const node = stack[stack.length - 1]!;
    if (next[node]! < start[node + 1]!) {
      const child = children[next[node]!++]!;
      next[child] = start[child]!;
      enter(child);
      stack.push(child);
      continue;
    }
    open[graph.group[node]!]!--;
    stack.pop();
  }
  return new Map(graph.groups.map((name, g) => [name, sums[g]!]));
}

/** The name of the first strong edge from `from` to `to`: the property, element or variable that holds it. */
function edgeBetween(graph: HeapGraph, from: number, to: number): string | undefined {
  for (let e = graph.firstEdge[from]!; e < graph.firstEdge[from + 1]!; e++) if (graph.edgeTo[e] === to) return graph.edgeName[e];
  return undefined;
}

const PREVIEW = 40;

/** `node` as its group (a string with its first characters, a closure with its function's name). */
function describe(graph: HeapGraph, node: number): string {
  const group = graph.groups[graph.group[node]!]!;
  if (group !== '(string)' && group !== '(closure)') return group;
  const text = graph.strings[graph.name[node]!] ?? '';
  const preview = JSON.stringify(text.length > PREVIEW ? `${text.slice(0, PREVIEW)}…` : text);
  return `${group} ${preview}`;
}

/** `node` and the edge its dominator holds it by, e.g. `LRUCache (.logins)`. */
export function label(graph: HeapGraph, node: number): string {
  const held = node === 0 ? undefined : edgeBetween(graph, graph.dominator[node]!, node);
  return `${describe(graph, node)}${held ? ` (.${held})` : ''}`;
}

/**
 * Who holds `node`: its dominators from the nearest up, `depth` of them, skipping the synthetic
 * roots; when no single object dominates it, the first `depth` objects that refer to it.
 */
export function holders(graph: HeapGraph, node: number, depth: number): string[] {
  const chain: string[] = [];
  for (let up = graph.dominator[node]!; up !== 0 && chain.length < depth; up = graph.dominator[up]!)
    if (!graph.synthetic[up]) chain.push(label(graph, up));
  if (chain.length) return chain;
  const referrers: string[] = [];
  for (let from = 0; from < graph.count && referrers.length < depth; from++) {
    for (let e = graph.firstEdge[from]!; e < graph.firstEdge[from + 1]!; e++)
      if (graph.edgeTo[e] === node) {
        referrers.push(`${describe(graph, from)}.${graph.edgeName[e]}`);
        break;
      }
  }
  return referrers.length ? [`shared by ${referrers.join(', ')}`] : [];
}

/**
 * The `n` single objects with the largest retained size, leaving out the synthetic roots. A
 * holder whose retained size is (nearly, 90 %) all that of one object it dominates is the same
 * retainer: the chain is shown once, at its innermost link, with its holders as its chain.
 */
export function largestRetainers(graph: HeapGraph, n: number): number[] {
  const candidates: number[] = [];
  for (let node = 1; node < graph.count; node++) if (!graph.synthetic[node]) candidates.push(node);
  candidates.sort((a, b) => graph.retained[b]! - graph.retained[a]!);
  const picked: number[] = [];
  const size = (node: number) => graph.retained[node]!;
  for (const node of candidates) {
    if (picked.length >= n && size(node) < 0.9 * Math.min(...picked.map(size))) break;
    const outer = picked.findIndex((p) => size(node) >= 0.9 * size(p) && dominates(graph, p, node));
    if (outer >= 0) picked[outer] = node;
    else if (picked.length < n) picked.push(node);
  }
  return picked.sort((a, b) => size(b) - size(a));
}

function dominates(graph: HeapGraph, up: number, node: number): boolean {
  for (let at = graph.dominator[node]!; ; at = graph.dominator[at]!) {
    if (at === up) return true;
    if (at === 0) return false;
  }
}

/**
 * Per group: the objects of `after` whose id is not in `before` (allocated since, and still
 * alive). Node's own native objects (`Node / ...`) are left out: each snapshot lists them with
 * new ids, so all of them would look new.
 */
export function newSince(before: HeapGraph, after: HeapGraph): Map<string, { count: number; self: number }> {
  const known = new Set<number>();
  for (const id of before.ids) known.add(id);
  const sums = new Map<string, { count: number; self: number }>();
  for (let node = 0; node < after.count; node++) {
    if (known.has(after.ids[node]!) || after.synthetic[node]) continue;
    const name = after.groups[after.group[node]!]!;
    if (name.startsWith('Node / ')) continue;
    const sum = sums.get(name) ?? { count: 0, self: 0 };
    sum.count++;
    sum.self += after.selfSize[node]!;
    sums.set(name, sum);
  }
  return sums;
}
