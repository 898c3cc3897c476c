// The CLI is tested as users run it: `node bin/run.js …` in a child process, against this test
// file's own database.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'run.js');
export const REPO_ROOT = path.resolve(path.dirname(CLI), '..', '..', '..');

export type CliResult = { code: number; stdout: string; stderr: string };
export type CliOptions = { databaseUrl?: string; env?: Record<string, string | undefined>; input?: string };

function cliEnv({ databaseUrl, env = {} }: CliOptions): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', FORCE_COLOR: '0', DEBUG: undefined, ...env };
  if (databaseUrl) merged.DATABASE_URL = databaseUrl;
  // The real servers unless a test asks for the embedded parts (EMBEDDED_DATA_DIR with nothing else set).
  if (!merged.EMBEDDED_DATA_DIR) {
    if (!merged.DATABASE_URL) merged.POSTGRES_HOST ||= '127.0.0.1';
    merged.REDIS_URL ||= 'redis://127.0.0.1:6379/0';
  }
  return merged;
}

/** Starts the CLI; stdin stays open (for prompts and long-running commands). */
export function startCli(args: string[], options: CliOptions = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env: cliEnv(options), stdio: 'pipe' });
}

/** Runs the CLI to completion; `input` is piped to stdin, which is then closed. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const child = startCli(args, options);
  child.stdin.end(options.input ?? '');
  return collect(child);
}

export function collect(child: ChildProcessWithoutNullStreams): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

/** Resolves once `pattern` shows up in the child's stdout (all of it so far is returned). */
export function waitForOutput(child: ChildProcessWithoutNullStreams, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    let errors = '';
    const timer = setTimeout(() => done(new Error(`timed out waiting for ${pattern}; stdout: ${seen}; stderr: ${errors}`)), timeoutMs);
    const onData = (d: Buffer) => {
      seen += d.toString();
      if (pattern.test(seen)) done();
    };
    const onErr = (d: Buffer) => (errors += d.toString());
    const onExit = (code: number | null) => done(new Error(`exited (${code}) before ${pattern}; stdout: ${seen}; stderr: ${errors}`));
    function done(error?: Error) {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.stderr.off('data', onErr);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(seen);
    }
    child.stdout.on('data', onData);
    child.stderr.on('data', onErr);
    child.on('exit', onExit);
  });
}

/** One query on `url` (its own connection). */
export async function query<T extends pg.QueryResultRow = Record<string, unknown>>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** The one line a failing command prints: no stack trace. */
export function expectOneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  if (lines.length !== 1 || /^\s+at /m.test(stderr)) throw new Error(`expected one line on stderr, got:\n${stderr}`);
  return lines[0]!;
}
