// Benchmark: start-up cost of the embedded PostgreSQL (PGlite, @personal-automations/db/embedded).
// Each start runs in a fresh child process, as an app start would: openEmbeddedDatabase, then one
// query over the served URL (open → ready), then the process's RSS, then close().
//   first start: a fresh data dir (initdb + all migrations);
//   later start: the same dir reopened (nothing to migrate).
// Prints each round and the median / min / max of both kinds, plus the data dir's size.
//
// Settings (environment):
//   BENCH_ROUNDS    fresh data dirs, each started once fresh (default 3)
//   BENCH_REOPENS   later starts per data dir (default 3)
// Needs no database server; its temp dirs (under the OS temp dir) are removed at the end.
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { openEmbeddedDatabase } from '@personal-automations/db/embedded';
import { intEnv } from './lib/env.ts';

type StartResult = { openMs: number; readyMs: number; rssMb: number; migrations: number };
const CHILD_TIMEOUT_MS = 120_000;

// ---- child: one start ----------------------------------------------------------------------

async function measureOneStart(dataDir: string): Promise<StartResult> {
  const started = performance.now();
  const db = await openEmbeddedDatabase({ dataDir });
  const openMs = performance.now() - started;
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query('SELECT 1');
  const readyMs = performance.now() - started;
  const rssMb = process.memoryUsage().rss / 2 ** 20;
  await client.end();
  await db.close();
  return { openMs, readyMs, rssMb, migrations: db.appliedMigrations.length };
}

// ---- parent --------------------------------------------------------------------------------

function startInChild(dataDir: string): Promise<StartResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--child', dataDir], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    let result: StartResult | undefined;
    child.on('message', (message: StartResult) => (result = message));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0 && result) resolve(result);
      else reject(new Error(`start in ${dataDir} failed (exit ${code})`));
    });
  });
}

function dirSizeMb(dir: string): number {
  let bytes = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) bytes += fs.statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return bytes / 2 ** 20;
}

function summary(label: string, results: StartResult[]): string {
  const stat = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    return `${median.toFixed(0).padStart(6)} (${sorted[0]!.toFixed(0)}–${sorted.at(-1)!.toFixed(0)})`;
  };
  return `${label.padEnd(12)} open ms ${stat(results.map((r) => r.openMs))}   ready ms ${stat(results.map((r) => r.readyMs))}   RSS MB ${stat(results.map((r) => r.rssMb))}`;
}

async function main(): Promise<void> {
  const rounds = intEnv('BENCH_ROUNDS', 3, 1, 20);
  const reopens = intEnv('BENCH_REOPENS', 3, 1, 20);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pa_bench_embedded_'));
  const firsts: StartResult[] = [];
  const laters: StartResult[] = [];
  let failed = false;
  try {
    console.log(`embedded PostgreSQL start-up: ${rounds} fresh data dirs, ${reopens} later starts each (${os.cpus().length} cores)`);
    for (let round = 1; round <= rounds; round++) {
      const dataDir = path.join(root, `round-${round}`);
      const first = await startInChild(dataDir);
      if (first.migrations === 0) throw new Error('a fresh data dir applied no migration');
      firsts.push(first);
      const later: StartResult[] = [];
      for (let i = 0; i < reopens; i++) later.push(await startInChild(dataDir));
      laters.push(...later);
      const line = (r: StartResult) => `${r.readyMs.toFixed(0)} ms / ${r.rssMb.toFixed(0)} MB`;
      console.log(
        `round ${round}: first ${line(first)} (${first.migrations} migrations); later ${later.map(line).join(', ')}; data dir ${dirSizeMb(dataDir).toFixed(0)} MB`,
      );
    }
    console.log('');
    console.log('median (min–max); open = openEmbeddedDatabase resolved, ready = first query answered over the URL');
    console.log(summary('first start', firsts));
    console.log(summary('later start', laters));
  } catch (error) {
    failed = true;
    console.error(error);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  if (failed) process.exit(1);
}

if (process.argv[2] === '--child') {
  const result = await measureOneStart(process.argv[3]!);
  process.send!(result);
  process.disconnect();
} else {
  await main();
}
