// The webhooks benchmark's worker: the real worker process (`apps/worker/src/main.ts worker`) on
// one job backend, its queue prefix removed afterwards, and its CPU time and RSS read from /proc.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSettings, readEnvFile, SERVER_VARIABLES, type Settings } from '@personal-automations/config';
import { removeQueues } from '@personal-automations/testing/queues';
import { cpuOfProcesses } from './pg-cpu.ts';

const WORKER_MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../apps/worker/src/main.ts');

/** `redis`: BullMQ on the settings' Redis; `jobs-table`: no Redis variable set, jobs in the database's table. */
export type Backend = 'redis' | 'jobs-table';

export type BenchWorker = {
  /** The worker process's CPU time so far (user + system), in microseconds. */
  cpuMicros(): Promise<number>;
  /** Its resident set size now, in bytes (NaN where /proc cannot be read). */
  rssBytes(): Promise<number>;
  stop(): Promise<void>;
};

/** The environment that puts the worker's jobs on `backend`. */
function backendEnv(backend: Backend, settings: Settings): Record<string, string> {
  if (backend === 'redis') return { REDIS_URL: settings.redisUrl, TASKIQ_BROKER_URL: settings.TASKIQ_BROKER_URL };
  return Object.fromEntries(
    SERVER_VARIABLES.filter((name) => name.startsWith('REDIS_') || name === 'TASKIQ_BROKER_URL').map((n) => [n, '']),
  );
}

export function startWorker(backend: Backend, settings: Settings, extraEnv: Record<string, string>): BenchWorker {
  const env = {
    ...process.env,
    ...backendEnv(backend, settings),
    JOB_QUEUE_PREFIX: `pa_bench_${randomBytes(4).toString('hex')}`,
    WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
    LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  const child: ChildProcess = spawn(process.execPath, [WORKER_MAIN, 'worker'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  return {
    async cpuMicros() {
      return (await cpuOfProcesses([child.pid!])).get(child.pid!) ?? Number.NaN;
    },
    async rssBytes() {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '');
      const kib = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
      return kib ? Number(kib) * 1024 : Number.NaN;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        });
      }
      if (backend === 'redis')
        await removeQueues(loadSettings({ ...readEnvFile(), ...env })).catch((error: unknown) =>
          console.error('could not remove the bench queues:', error),
        );
    },
  };
}
