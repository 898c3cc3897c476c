// The parent's side of the child servers (bench/servers/*.ts): start one in its own process and
// wait for its port, ask it for its CPU time and memory over IPC, stop it.
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Settings } from '@personal-automations/config';
import type { ChildMessage } from './child.ts';

const benchDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHILD_START_TIMEOUT_MS = 60_000;
const CHILD_STOP_TIMEOUT_MS = 10_000;
const USAGE_TIMEOUT_MS = 5_000;

export type Server = { name: string; child: ChildProcess; url: string };

/** A child server: its script (relative to bench/), arguments and environment overrides. */
export type ServerScript = { script: string; args?: string[]; env?: Record<string, string> };

/**
 * The environment every API child gets on top of the parent's: logging off, the pool settings and
 * API prefix this process resolved (the children read only the environment), production mode, and
 * an access token lifetime that outlives the run (it does not change the per-request work).
 */
export function apiChildEnv(settings: Settings, runMinutes: number): Record<string, string> {
  return {
    LOG_LEVEL: 'silent',
    DB_POOL_SIZE: String(settings.DB_POOL_SIZE),
    DB_MAX_OVERFLOW: String(settings.DB_MAX_OVERFLOW),
    DB_POOL_TIMEOUT: String(settings.DB_POOL_TIMEOUT),
    API_V1_STR: settings.API_V1_STR,
    NODE_ENV: 'production',
    ACCESS_TOKEN_EXPIRE_MINUTES: String(Math.max(settings.ACCESS_TOKEN_EXPIRE_MINUTES, runMinutes + 10)),
  };
}

/** Forks `script` with `env` (plus the script's own overrides) and resolves once it listens; its stdout (logs) is discarded. */
export function startServer(name: string, { script, args = [], env: overrides }: ServerScript, env: NodeJS.ProcessEnv): Promise<Server> {
  const child = fork(path.join(benchDir, script), args, { env: { ...env, ...overrides }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`${name}: server did not start within ${CHILD_START_TIMEOUT_MS / 1000} s`)),
      CHILD_START_TIMEOUT_MS,
    );
    const done = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const fail = (error: Error) => {
      done();
      child.kill('SIGKILL');
      reject(error);
    };
    const onMessage = (message: ChildMessage) => {
      if (message.type === 'listening') {
        done();
        child.on('error', () => {}); // a failed send is reported to its callback; the child's exit shows up as failed requests
        resolve({ name, child, url: `http://127.0.0.1:${message.port}` });
      } else if (message.type === 'failed') fail(new Error(`${name}: server failed to start:\n${message.message}`));
    };
    const onExit = (code: number | null, signal: string | null) =>
      fail(new Error(`${name}: server exited during startup (code ${code}, signal ${signal})`));
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/** SIGTERM, then SIGKILL if the child has not exited within the grace period. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export type Usage = { cpuMicros: number; rssBytes: number };

/** The child's CPU time so far (microseconds) and its RSS now, asked over IPC. */
export function usageOf(server: Server): Promise<Usage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      server.child.off('message', onMessage);
      reject(new Error(`${server.name}: no CPU usage answer`));
    }, USAGE_TIMEOUT_MS);
    const onMessage = (message: ChildMessage) => {
      if (message.type !== 'usage') return;
      clearTimeout(timer);
      server.child.off('message', onMessage);
      resolve({ cpuMicros: message.cpuMicros, rssBytes: message.rssBytes });
    };
    server.child.on('message', onMessage);
    // with a callback, a closed channel (the child is gone) is reported here, not thrown or emitted
    server.child.send({ type: 'usage' }, (error) => {
      if (!error) return;
      clearTimeout(timer);
      server.child.off('message', onMessage);
      reject(new Error(`${server.name}: server is gone (${error.message})`));
    });
  });
}
