// A summary of a V8 CPU profile (.cpuprofile: what the inspector's Profiler.stop answers): self
// time per area (a workspace file, a package under node_modules, a Node module, or V8's own
// (garbage collector) and (program)) and per function, the busiest first, each also as time per
// unit of work (e.g. per streamed token). Idle time is left out: the shares are of busy time. A
// builtin (JSON.parse, a socket write: no script of its own) counts for the nearest caller that
// has one, marked `(builtins)`, so that the time shows where it is spent from.

type CallFrame = { functionName: string; url: string; lineNumber: number };
type ProfileNode = { id: number; callFrame: CallFrame; children?: number[] };
export type CpuProfile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };

const IDLE = '(idle)';

/** Where a function lives: node_modules/<package>, a Node module, or a path inside the repository. */
export function areaOf({ functionName, url }: CallFrame): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const inModules = url.lastIndexOf('/node_modules/');
  if (inModules !== -1) {
    const [scope, name] = url.slice(inModules + '/node_modules/'.length).split('/');
    return scope?.startsWith('@') ? `${scope}/${name}` : (scope ?? url);
  }
  if (url.startsWith('node:')) return url;
  const inRepo = url.search(/\/(apps|packages|bench)\//);
  return inRepo === -1 ? url : url.slice(inRepo + 1);
}

/** Self time in microseconds per key, from the samples (each sample's time is the delta after it). */
function selfTimes(profile: CpuProfile, keyOf: (frame: CallFrame) => string): Map<string, number> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, ProfileNode>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node);
  const keyById = new Map<number, string>();
  for (const node of profile.nodes) {
    let caller: ProfileNode | undefined = node;
    while (caller && !caller.callFrame.url && !caller.callFrame.functionName.startsWith('(')) caller = parentOf.get(caller.id);
    const key = caller ? keyOf(caller.callFrame) : keyOf(node.callFrame);
    keyById.set(node.id, caller === node || !caller ? key : `${key} (builtins)`);
  }
  const totals = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const key = keyById.get(profile.samples[i]!) ?? (byId.has(profile.samples[i]!) ? '?' : '(unknown)');
    totals.set(key, (totals.get(key) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
  }
  return totals;
}

function rows(totals: Map<string, number>, units: number, top: number): string[] {
  totals.delete(IDLE);
  const busy = [...totals.values()].reduce((a, b) => a + b, 0);
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(
      ([key, micros]) => `    ${((100 * micros) / busy).toFixed(1).padStart(5)} %  ${(micros / units).toFixed(2).padStart(7)} µs  ${key}`,
    );
}

/** The summary as printed lines: busy time per unit, then the areas and the functions with the most self time. */
export function summarise(profile: CpuProfile, units: number, unitName: string, top = 15): string {
  const byArea = selfTimes(profile, areaOf);
  const idle = byArea.get(IDLE) ?? 0;
  const total = profile.timeDeltas.reduce((a, b) => a + b, 0);
  const byFunction = selfTimes(profile, (frame) =>
    frame.url ? `${frame.functionName || '(anonymous)'}  ${areaOf(frame)}:${frame.lineNumber + 1}` : areaOf(frame),
  );
  return [
    `  profiled busy time per ${unitName}: ${((total - idle) / units).toFixed(1)} µs (idle ${((100 * idle) / total).toFixed(0)} % of ${(total / 1e6).toFixed(1)} s)`,
    `  self time by area (share of busy time, per ${unitName}):`,
    ...rows(byArea, units, top),
    '  self time by function:',
    ...rows(byFunction, units, top),
  ].join('\n');
}
