// Drives one child server with autocannon for a while and measures the round: requests/s,
// latency, the server process's CPU time per request and RSS, and optionally the CPU time of
// other processes that served it (the PostgreSQL backends, see pg-cpu.ts).
import autocannon from 'autocannon';
import { type Server, usageOf } from './servers.ts';

/** Starts counting some processes' CPU time; the returned function gives the microseconds since. */
export type CpuProbe = { start(): Promise<() => Promise<number>> };

export type LoadOptions = {
  /** The path (with query) after the server's origin. */
  path: string;
  connections: number;
  /** The Authorization header of every request ('' for none). */
  authorization: string;
  /** The database processes serving this server, when their CPU time can be read. */
  database?: CpuProbe;
};

export type Round = {
  target: string;
  rps: number;
  p50: number;
  p99: number;
  /** Mean latency, ms (to two decimals, where p50 and p99 are whole milliseconds). */
  mean: number;
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** Server process CPU time per completed request, in microseconds. */
  cpuPerRequest: number;
  /** Server process CPU time over the round's wall time (1 = one core). */
  cpuCores: number;
  /** This process's (the load generator's) CPU time over the round's wall time. */
  loaderCores: number;
  /** The server process's resident set size at the end of the round. */
  rssBytes: number;
  /** The database processes' CPU time per completed request (microseconds), when probed. */
  dbCpuPerRequest?: number;
};

export async function load(server: Server, seconds: number, options: LoadOptions): Promise<Round> {
  const before = await usageOf(server);
  const databaseCpu = await options.database?.start();
  const loaderBefore = process.cpuUsage();
  const startedAt = process.hrtime.bigint();
  const result = await autocannon({
    url: `${server.url}${options.path}`,
    connections: options.connections,
    duration: seconds,
    pipelining: 1,
    headers: options.authorization ? { authorization: options.authorization } : {},
  });
  const wallMicros = Number(process.hrtime.bigint() - startedAt) / 1000;
  const loader = process.cpuUsage(loaderBefore);
  const databaseMicros = await databaseCpu?.();
  const after = await usageOf(server);
  const cpuMicros = after.cpuMicros - before.cpuMicros;
  const total = result.requests.total;
  const statusCodes = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, (s as { count: number }).count]),
  );
  return {
    target: server.name,
    rps: result.requests.average,
    p50: result.latency.p50,
    mean: result.latency.mean,
    p99: result.latency.p99,
    requests: total,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    cpuPerRequest: total ? cpuMicros / total : 0,
    cpuCores: cpuMicros / wallMicros,
    loaderCores: (loader.user + loader.system) / wallMicros,
    rssBytes: after.rssBytes,
    ...(databaseMicros === undefined ? {} : { dbCpuPerRequest: total ? databaseMicros / total : 0 }),
  };
}

/** What went wrong in a round (non-2xx, errors, timeouts), or undefined when nothing did. */
export function problemsOf(round: Round): string | undefined {
  if (!round.non2xx && !round.errors && !round.timeouts) return undefined;
  return `non-2xx ${round.non2xx}, errors ${round.errors}, timeouts ${round.timeouts}, status codes ${JSON.stringify(round.statusCodes)}`;
}

export type Schedule = { warmup: number; rounds: number; duration: number };

/**
 * A warm-up round per server (when warmup > 0, not returned), then `rounds` measured rounds per
 * server, one server at a time, the order reversed every other round so that no server always
 * runs first. `onRound` sees every round as it ends, with a label such as "round 2/3".
 */
export async function runRounds(
  servers: Server[],
  schedule: Schedule,
  measure: (server: Server, seconds: number) => Promise<Round>,
  onRound: (label: string, round: Round) => void,
): Promise<Round[]> {
  if (schedule.warmup > 0) {
    for (const server of servers) onRound('warm-up', await measure(server, schedule.warmup));
  }
  const rounds: Round[] = [];
  for (let r = 0; r < schedule.rounds; r++) {
    const order = r % 2 === 0 ? servers : [...servers].reverse();
    for (const server of order) {
      const round = await measure(server, schedule.duration);
      rounds.push(round);
      onRound(`round ${r + 1}/${schedule.rounds}`, round);
    }
  }
  return rounds;
}
