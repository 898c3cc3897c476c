// A V8 heap snapshot (.heapsnapshot, the JSON that v8.writeHeapSnapshot and DevTools write) read
// into flat arrays, with each node's group (its constructor name, or a kind such as `(string)`),
// its dominator and its retained size: what would be freed if it went. The format: `nodes` is a
// flat array of node_fields per node, `edges` a flat array of edge_fields, each node's edges
// following those of the node before it, `to_node` an offset into `nodes`; names are indices into
// `strings`. The root is the first node.
import { readFileSync } from 'node:fs';

type RawSnapshot = {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
};

export type HeapGraph = {
  count: number;
  /** Per node: its V8 object id (stable between snapshots of one process), self size, group index. */
  ids: Float64Array;
  selfSize: Float64Array;
  group: Int32Array;
  groups: string[];
  /** Per node: its name (a string's text, an object's constructor, a function's name), an index into `strings`. */
  name: Int32Array;
  strings: string[];
  /** Per node: its immediate dominator (the root's is itself), and its retained size. */
  dominator: Int32Array;
  retained: Float64Array;
  /** Non-weak edges: node i's go from firstEdge[i] to firstEdge[i + 1]; their target node and name. */
  firstEdge: Int32Array;
  edgeTo: Int32Array;
  edgeName: string[];
  /** The root's children that hold the heap: `(GC roots)` and friends are skipped in reports. */
  synthetic: Uint8Array;
};

/** The group a node is counted in, like the DevTools summary: objects by constructor, the rest by kind. */
function groupName(type: string, name: string): string {
  switch (type) {
    case 'object':
    case 'native':
      return name || '(anonymous object)';
    case 'closure':
      return '(closure)';
    case 'string':
    case 'concatenated string':
    case 'sliced string':
      return '(string)';
    case 'code':
      return '(compiled code)';
    case 'array':
      return name.startsWith('(') ? name : '(array)';
    case 'hidden':
    case 'synthetic':
      return name || `(${type})`;
    case 'number':
    case 'heap number':
      return '(number)';
    default:
      return `(${type})`;
  }
}

/** Where each of `names` sits in a node's or an edge's fields (the meta lists them; V8 versions add some). */
function fieldsAt<const Names extends readonly string[]>(fields: string[], names: Names): { [K in keyof Names]: number } {
  return names.map((name) => {
    const at = fields.indexOf(name);
    if (at < 0) throw new Error(`not a heap snapshot this reads: no ${name} field`);
    return at;
  }) as { [K in keyof Names]: number };
}

/** Reads the file and builds the graph of its strong (non-weak) edges. */
export function readHeapSnapshot(file: string): HeapGraph {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as RawSnapshot;
  const meta = raw.snapshot.meta;
  const nodeWidth = meta.node_fields.length;
  const edgeWidth = meta.edge_fields.length;
  const [fType, fName, fId, fSelf, fEdges] = fieldsAt(meta.node_fields, ['type', 'name', 'id', 'self_size', 'edge_count']);
  const [eType, eName, eTo] = fieldsAt(meta.edge_fields, ['type', 'name_or_index', 'to_node']);
  const nodeTypes = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const count = raw.nodes.length / nodeWidth;
  const ids = new Float64Array(count);
  const selfSize = new Float64Array(count);
  const group = new Int32Array(count);
  const name = new Int32Array(count);
  const synthetic = new Uint8Array(count);
  const groupIndex = new Map<string, number>();
  const firstEdge = new Int32Array(count + 1);
  const edgeTo: number[] = [];
  const edgeName: string[] = [];
  let edge = 0;
  for (let i = 0; i < count; i++) {
    const base = i * nodeWidth;
    const type = nodeTypes[raw.nodes[base + fType]!]!;
    const g = groupName(type, raw.strings[raw.nodes[base + fName]!] ?? '');
    if (!groupIndex.has(g)) groupIndex.set(g, groupIndex.size);
    group[i] = groupIndex.get(g)!;
    name[i] = raw.nodes[base + fName]!;
    ids[i] = raw.nodes[base + fId]!;
    selfSize[i] = raw.nodes[base + fSelf]!;
    synthetic[i] = type === 'synthetic' ? 1 : 0;
    firstEdge[i] = edgeTo.length;
    for (let k = raw.nodes[base + fEdges]!; k > 0; k--, edge += edgeWidth) {
      const kind = edgeTypes[raw.edges[edge + eType]!];
      if (kind === 'weak') continue; // a weak reference keeps nothing alive
      const nameOrIndex = raw.edges[edge + eName]!;
      edgeTo.push(raw.edges[edge + eTo]! / nodeWidth);
      edgeName.push(kind === 'element' || kind === 'hidden' ? `[${nameOrIndex}]` : (raw.strings[nameOrIndex] ?? '?'));
    }
  }
  firstEdge[count] = edgeTo.length;
  const graph = {
    count,
    ids,
    selfSize,
    group,
    groups: [...groupIndex.keys()],
    name,
    strings: raw.strings,
    firstEdge,
    edgeTo: Int32Array.from(edgeTo),
    edgeName,
    synthetic,
  };
  const { dominator, retained } = dominators(graph);
  return { ...graph, dominator, retained };
}

type Edges = Pick<HeapGraph, 'count' | 'firstEdge' | 'edgeTo' | 'selfSize'>;

/** Nodes reachable from the root in depth-first post-order (the root last). */
function postOrder({ count, firstEdge, edgeTo }: Edges): Int32Array {
  const order = new Int32Array(count);
  const visited = new Uint8Array(count);
  const stack = new Int32Array(count);
  const next = new Int32Array(count); // per stacked node: its next edge to follow
  let n = 0;
  let top = 0;
  stack[0] = 0;
  next[0] = firstEdge[0]!;
  visited[0] = 1;
  while (top >= 0) {
    const node = stack[top]!;
    if (next[node]! < firstEdge[node + 1]!) {
      const to = edgeTo[next[node]!++]!;
      if (!visited[to]) {
        visited[to] = 1;
        stack[++top] = to;
        next[to] = firstEdge[to]!;
      }
      continue;
    }
    order[n++] = node;
    top--;
  }
  return order.subarray(0, n);
}

/**
 * Immediate dominators (Cooper, Harvey and Kennedy's iterative algorithm over the post-order, as
 * DevTools does) and retained sizes. A node the root reaches only through weak edges hangs off the root.
 */
function dominators(graph: Edges): { dominator: Int32Array; retained: Float64Array } {
  const { count, firstEdge, edgeTo, selfSize } = graph;
  const order = postOrder(graph);
  const rank = new Int32Array(count).fill(-1); // post-order index; -1: not reached
  order.forEach((node, i) => {
    rank[node] = i;
  });
  // predecessors, by rank, of the reached nodes
  const predStart = new Int32Array(order.length + 1);
  for (let from = 0; from < count; from++) {
    if (rank[from]! < 0) continue;
    for (let e = firstEdge[from]!; e < firstEdge[from + 1]!; e++) predStart[rank[edgeTo[e]!]! + 1]!++;
  }
  for (let i = 0; i < order.length; i++) predStart[i + 1]! += predStart[i]!;
  const preds = new Int32Array(predStart[order.length]!);
  const fill = predStart.slice(0, order.length);
  for (let from = 0; from < count; from++) {
    if (rank[from]! < 0) continue;
    for (let e = firstEdge[from]!; e < firstEdge[from + 1]!; e++) preds[fill[rank[edgeTo[e]!]!]!++] = rank[from]!;
  }
  const rootRank = order.length - 1;
  const idom = new Int32Array(order.length).fill(-1);
  idom[rootRank] = rootRank;
  const intersect = (a: number, b: number) => {
    while (a !== b) {
      while (a < b) a = idom[a]!;
      while (b < a) b = idom[b]!;
    }
    return a;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (let r = rootRank - 1; r >= 0; r--) {
      let next = -1;
      for (let p = predStart[r]!; p < predStart[r + 1]!; p++) {
        const pred = preds[p]!;
        if (idom[pred] === -1) continue;
        next = next === -1 ? pred : intersect(pred, next);
      }
      if (next !== -1 && idom[r] !== next) {
        idom[r] = next;
        changed = true;
      }
    }
  }
  const dominator = new Int32Array(count); // unreached nodes: the root (0)
  const retained = Float64Array.from(selfSize);
  for (let r = 0; r < rootRank; r++) {
    const node = order[r]!;
    dominator[node] = order[idom[r]!]!;
    retained[dominator[node]!]! += retained[node]!;
  }
  for (let node = 0; node < count; node++) if (rank[node]! < 0 && node !== 0) retained[0]! += retained[node]!;
  return { dominator, retained };
}
