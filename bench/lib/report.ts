// Output helpers of the load benchmarks: number formatting, a plain-text table, ratios, medians,
// and the one line printed per round.
import { problemsOf, type Round } from './load.ts';

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Megabytes (2^20 bytes), to one decimal. */
export const mb = (bytes: number) => fmt(bytes / 2 ** 20, 1);

/** Columns padded to their widest cell: the first left-aligned, the others right-aligned. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** a ÷ b to `digits` places, or n/a when b is 0 (autocannon's latencies are whole milliseconds). */
export const ratio = (a: number, b: number, digits = 2) => (b > 0 ? fmt(a / b, digits) : 'n/a');

/** The median of some numbers (the lower middle one for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
}

/** The round with the median requests/s (the lower middle one for an even count). */
export function medianRound(rounds: Round[]): Round {
  const sorted = [...rounds].sort((a, b) => a.rps - b.rps);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/**
 * Per target: its median round by requests/s, with the CPU times per request replaced by their
 * medians over the target's rounds and the RSS by its largest end-of-round value.
 */
export function mediansByTarget(targets: string[], rounds: Round[]): Map<string, Round> {
  return new Map(
    targets.map((name) => {
      const own = rounds.filter((x) => x.target === name);
      const dbCpu = own.flatMap((x) => (x.dbCpuPerRequest === undefined ? [] : [x.dbCpuPerRequest]));
      return [
        name,
        {
          ...medianRound(own),
          cpuPerRequest: median(own.map((x) => x.cpuPerRequest)),
          rssBytes: Math.max(...own.map((x) => x.rssBytes)),
          ...(dbCpu.length ? { dbCpuPerRequest: median(dbCpu) } : {}),
        },
      ];
    }),
  );
}

/** One round: label, target, requests/s, latency, server CPU; `extra` goes before any problems. */
export function roundLine(label: string, round: Round, extra = ''): string {
  const problems = problemsOf(round);
  return (
    `  ${label.padEnd(18)} ${round.target.padEnd(13)} ${fmt(round.rps, 1).padStart(9)} req/s  p50 ${fmt(round.p50, 2)} ms  p99 ${fmt(round.p99, 2)} ms  ` +
    `server CPU ${fmt(round.cpuPerRequest)} µs/req (${fmt(round.cpuCores, 2)} cores; autocannon ${fmt(round.loaderCores, 2)} cores)${extra}` +
    (problems ? `  !! ${problems}` : '')
  );
}
