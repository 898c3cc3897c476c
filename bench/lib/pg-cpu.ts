// The CPU time of the PostgreSQL backends serving one database, read from /proc: a server process
// of a PostgreSQL target does its SQL work in other processes (an embedded database works in the
// server process itself), so comparing only the server processes' CPU would leave that work out.
// Works when the PostgreSQL server runs on this machine and its processes' /proc/<pid>/stat is
// readable (it is world-readable on Linux); otherwise there is no probe.
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import type { CpuProbe } from './load.ts';

/** Linux reports utime/stime in USER_HZ ticks, 100 per second on every mainstream architecture. */
const MICROS_PER_TICK = 10_000;
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]', '']);

/** CPU microseconds so far per process id, for the processes that could be read. */
export async function cpuOfProcesses(pids: number[]): Promise<Map<number, number>> {
  const cpu = new Map<number, number>();
  await Promise.all(
    pids.map(async (pid) => {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
      if (!stat) return; // exited since the query
      // fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      cpu.set(pid, (Number(fields[11]) + Number(fields[12])) * MICROS_PER_TICK);
    }),
  );
  return cpu;
}

export type DatabaseCpuProbe = CpuProbe & { close(): Promise<void> };

/**
 * A probe of the backends connected to the database `url` names (other than its own connection),
 * or undefined when the server is not on this machine or its processes cannot be read.
 */
export async function openDatabaseCpuProbe(url: string): Promise<DatabaseCpuProbe | undefined> {
  const parsed = new URL(url);
  if (!LOCAL_HOSTS.has(parsed.hostname) || process.platform !== 'linux') return undefined;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const sample = async () => {
    const { rows } = await client.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    return cpuOfProcesses(rows.map((r: { pid: number }) => r.pid));
  };
  // the server must really be this machine's: its own backend's /proc entry must be readable
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  if (!(await cpuOfProcesses([rows[0]!.pid])).size) {
    await client.end();
    return undefined;
  }
  return {
    async start() {
      const before = await sample();
      return async () => {
        let micros = 0;
        // a backend started since counts whole; one that exited since is lost (pools keep theirs)
        for (const [pid, now] of await sample()) micros += now - (before.get(pid) ?? 0);
        return micros;
      };
    },
    close: () => client.end(),
  };
}
