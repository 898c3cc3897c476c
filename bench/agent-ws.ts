// Benchmark: N agent WebSockets streaming answers at once through one API process. The fake
// OpenAI-compatible model (agent/model.ts) and the socket clients (agent/clients.ts, in
// BENCH_CLIENT_PROCESSES processes) run in processes of their own, never in the API's
// (agent/api.ts, apps/api buildApp); times are wall-clock, shared by the processes.
//
// Each round, every socket sends one turn; the sends are spread over half an answer's duration, so
// for the second half all N answers stream together. Measured over the rounds after a warm-up:
// - server overhead to first token: (client sent its frame → its first text_delta) minus (model
//   got the request → model wrote its first chunk): what the API adds before the first token;
// - added latency per token: for every token, its arrival at the client minus its write by the
//   model (the API's parsing, the event frames, the sockets of both hops);
// - the API's CPU time per streamed token (all of its work over the measured rounds ÷ tokens);
// - memory per socket: the API's RSS and V8 heap after a forced GC with N sockets open and idle,
//   and mid-round with the sockets streaming, minus the same before any socket, ÷ N.
// Every answer must arrive complete and in order, and be saved (user and assistant messages).
//
// Settings (environment):
//   BENCH_SOCKETS            concurrent sockets (default 1000; the API's AGENT_MAX_SOCKETS_PER_USER is raised to match)
//   BENCH_TOKENS             tokens (SSE content chunks) per answer (default 200)
//   BENCH_TOKEN_INTERVAL_MS  pause between two chunks of one answer (default 20: 50 tokens/s)
//   BENCH_ROUNDS             measured turns per socket, after one warm-up turn (default 2)
//   BENCH_CLIENT_PROCESSES   processes the sockets are spread over (default 2)
//   BENCH_API_PROFILE        a file: the API's CPU profile over the measured rounds is written
//                            there (.cpuprofile) and summarised per token (slows the API down)
//   BENCH_API_NODE_OPTIONS   NODE_OPTIONS for the API process only (e.g. the Dockerfile's V8 limits)
//   BENCH_HEAP_SNAPSHOTS     a directory: the API's heap snapshots at each memory sample (before,
//                            idle, streaming), for heap/retainers.ts (stalls the API while written)
// A fresh database pa_bench_<random> is created on the settings' PostgreSQL and dropped at the end.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getSettings } from '@personal-automations/config';
import { createPrismaClient } from '@personal-automations/db';
import type { MemoryCommand, MemoryMessage, ProfileCommand, ProfileMessage } from './agent/api.ts';
import type { ClientsCommand, ClientsMessage, ModelMessage, ModelRecord, TurnRecord } from './agent/protocol.ts';
import { benchAnswer, now } from './agent/protocol.ts';
import type { ChildMessage } from './lib/child.ts';
import { type CpuProfile, summarise } from './lib/cpu-profile.ts';
import { benchDatabase } from './lib/database.ts';
import { intEnv } from './lib/env.ts';
import { ask, forkChild } from './lib/ipc.ts';
import { runBenchmark } from './lib/run.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROUND_TIMEOUT_MS = 180_000;
const config = {
  sockets: intEnv('BENCH_SOCKETS', 1000, 1, 1000),
  tokens: intEnv('BENCH_TOKENS', 200, 1, 10_000),
  intervalMs: intEnv('BENCH_TOKEN_INTERVAL_MS', 20, 0, 1000),
  rounds: intEnv('BENCH_ROUNDS', 2, 1, 50),
  clientProcesses: intEnv('BENCH_CLIENT_PROCESSES', 2, 1, 16),
  profile: process.env.BENCH_API_PROFILE ? path.resolve(process.env.BENCH_API_PROFILE) : undefined,
};
const settings = getSettings();
const database = benchDatabase(settings.databaseUrl);
const children: ChildProcess[] = [];

/** Forks one of bench/agent/*.ts and resolves with its first message that `ready` accepts. */
async function forkAgentChild<M extends { type: string }>(
  script: string,
  env: NodeJS.ProcessEnv,
  ready: (m: M) => boolean,
  execArgv: string[] = [],
) {
  const { child, started } = forkChild(path.join(here, 'agent', script), env, ready, execArgv);
  children.push(child);
  return { child, first: await started };
}

async function login(base: string): Promise<string> {
  const email = 'bench-agent@example.com';
  const password = `bench-${randomBytes(8).toString('hex')}`;
  const body = JSON.stringify({ email, password });
  const registered = await fetch(`${base}/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  if (registered.status !== 201) throw new Error(`register answered ${registered.status}: ${await registered.text()}`);
  const loggedIn = await fetch(`${base}/auth/login`, { method: 'POST', body: new URLSearchParams({ username: email, password }) });
  if (loggedIn.status !== 200) throw new Error(`login answered ${loggedIn.status}: ${await loggedIn.text()}`);
  return ((await loggedIn.json()) as { access_token: string }).access_token;
}

const percentile = (sorted: number[], q: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]! : Number.NaN;
const ms = (n: number) => `${n.toFixed(2)} ms`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const spread = (values: number[]) => {
  const sorted = Float64Array.from(values).sort();
  return `p50 ${ms(percentile([...sorted], 0.5))}   p99 ${ms(percentile([...sorted], 0.99))}   max ${ms(sorted.at(-1) ?? Number.NaN)}`;
};

type Figures = { overheads: number[]; tokenDelays: number[]; failures: string[]; tokens: number };

/** Folds one round's turns (matched with the model's records) into the figures. */
function account(figures: Figures, turns: TurnRecord[], records: Map<string, ModelRecord>, measured: boolean): void {
  for (const turn of turns) {
    const model = records.get(turn.key);
    if (turn.failure || !model || turn.firstTokenAt === null || turn.tokenAt.length !== config.tokens) {
      figures.failures.push(`${turn.key}: ${turn.failure ?? 'no model request or missing tokens'}`);
      continue;
    }
    if (!measured) continue;
    figures.overheads.push(turn.firstTokenAt - turn.sentAt - (model.firstChunkAt - model.receivedAt));
    for (const [i, at] of turn.tokenAt.entries()) figures.tokenDelays.push(at - model.chunkWrittenAt[i]!);
    figures.tokens += config.tokens;
  }
}

type Run = { api: ChildProcess; model: ChildProcess; clients: ChildProcess[] };

async function runRound(run: Run, round: number, figures: Figures, sampleMemory: boolean): Promise<MemoryMessage | undefined> {
  const answerMs = config.tokens * config.intervalMs;
  const spacingMs = answerMs / 2 / config.sockets;
  const startAt = now() + 200;
  const results = Promise.all(
    run.clients.map((client) =>
      ask<Extract<ClientsMessage, { type: 'results' }>>(
        client,
        { type: 'round', round, startAt, spacingMs } satisfies ClientsCommand,
        'results',
      ),
    ),
  );
  let memory: MemoryMessage | undefined;
  if (sampleMemory) {
    // three quarters into an answer's duration every socket is mid-answer
    await new Promise((resolve) => setTimeout(resolve, startAt + answerMs * 0.75 - now()));
    memory = await ask<MemoryMessage>(run.api, { type: 'memory', sample: 'streaming' } satisfies MemoryCommand, 'memory');
    const statuses = await Promise.all(
      run.clients.map((c) => ask<Extract<ClientsMessage, { type: 'status' }>>(c, { type: 'status' }, 'status')),
    );
    console.log(`    memory sampled with ${statuses.reduce((n, s) => n + s.streaming, 0)} of ${config.sockets} sockets mid-answer`);
  }
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`round ${round} timed out`)), ROUND_TIMEOUT_MS).unref(),
  );
  const turns = (await Promise.race([results, timeout])).flatMap((r) => r.turns);
  const { records } = await ask<Extract<ModelMessage, { type: 'records' }>>(run.model, { type: 'collect' }, 'records');
  account(figures, turns, new Map(records.map((r) => [r.key, r])), round > 0);
  console.log(`  ${round === 0 ? 'warm-up  ' : `round ${round}/${config.rounds}`}  ${turns.length} turns in ${ms(now() - startAt)}`);
  return memory;
}

type Memories = { before: MemoryMessage; idle: MemoryMessage; streaming: MemoryMessage | undefined };

/** Prints the figures; 1 when a turn failed or an answer was not saved. */
function report(figures: Figures, cpuPerToken: number, memory: Memories, saved: { assistant: number; user: number }): number {
  const { before, idle, streaming } = memory;
  const perSocket = (m: MemoryMessage | undefined, key: 'rss' | 'heapUsed') => (m ? kib((m[key] - before[key]) / config.sockets) : 'n/a');
  console.log(`\n${figures.overheads.length} measured turns, ${figures.tokens} tokens`);
  console.log(`  server overhead to first token   ${spread(figures.overheads)}`);
  console.log(`  added latency per token          ${spread(figures.tokenDelays)}`);
  console.log(`  API CPU per streamed token       ${cpuPerToken.toFixed(1)} µs`);
  console.log(`  API process before any socket    RSS ${kib(before.rss)}, heap ${kib(before.heapUsed)}`);
  console.log(`  memory per socket, idle          RSS ${perSocket(idle, 'rss')}, heap ${perSocket(idle, 'heapUsed')}`);
  console.log(`  memory per socket, streaming     RSS ${perSocket(streaming, 'rss')}, heap ${perSocket(streaming, 'heapUsed')}`);
  const expectedSaved = config.sockets * (config.rounds + 1);
  console.log(`  answers saved                    ${saved.assistant} of ${expectedSaved} (user messages ${saved.user})`);
  if (figures.failures.length || saved.assistant !== expectedSaved || saved.user !== expectedSaved) {
    console.log(`\n!! ${figures.failures.length} turn(s) failed, e.g. ${figures.failures.slice(0, 3).join('; ')}: not a valid measurement`);
    return 1;
  }
  return 0;
}

async function main(): Promise<number> {
  console.log(
    `agent-ws: ${config.sockets} sockets in ${config.clientProcesses} client process(es), ${config.tokens}-token answers, ` +
      `${config.intervalMs} ms between tokens, 1 warm-up + ${config.rounds} measured turn(s) per socket; node ${process.version}`,
  );
  await database.create();
  const childEnv = { ...process.env, BENCH_TOKENS: String(config.tokens), BENCH_TOKEN_INTERVAL_MS: String(config.intervalMs) };
  const model = await forkAgentChild<ModelMessage>('model.ts', childEnv, (m) => m.type === 'ready');
  const baseUrl = (model.first as Extract<ModelMessage, { type: 'ready' }>).baseUrl;
  const apiEnv = {
    ...childEnv,
    DATABASE_URL: database.url,
    OPENAI_BASE_URL: baseUrl,
    OPENAI_API_KEY: 'test-openai-key',
    RATE_LIMIT_ENABLED: 'false',
    AGENT_MAX_SOCKETS_PER_USER: String(config.sockets),
    NODE_ENV: 'production',
    // the V8 limits the image runs the API under (the Dockerfile's NODE_OPTIONS), when asked
    ...(process.env.BENCH_API_NODE_OPTIONS && { NODE_OPTIONS: process.env.BENCH_API_NODE_OPTIONS }),
  };
  const api = await forkAgentChild<ChildMessage>('api.ts', apiEnv, (m) => m.type === 'listening', ['--expose-gc']);
  const port = (api.first as Extract<ChildMessage, { type: 'listening' }>).port;
  const base = `http://127.0.0.1:${port}${settings.API_V1_STR}`;
  const token = await login(base);

  const before = await ask<MemoryMessage>(api.child, { type: 'memory', sample: 'before' } satisfies MemoryCommand, 'memory');
  const perProcess = Math.ceil(config.sockets / config.clientProcesses);
  const clients = await Promise.all(
    Array.from({ length: config.clientProcesses }, (_, p) => {
      const first = p * perProcess;
      const count = Math.min(perProcess, config.sockets - first);
      const env = {
        ...childEnv,
        CLIENT_URL: `${base.replace('http', 'ws')}/ws/agent?token=${token}`,
        CLIENT_FIRST: String(first),
        CLIENT_SOCKETS: String(count),
      };
      return forkAgentChild<ClientsMessage>('clients.ts', env, (m) => m.type === 'open');
    }),
  );
  const idle = await ask<MemoryMessage>(api.child, { type: 'memory', sample: 'idle' } satisfies MemoryCommand, 'memory');
  const run: Run = { api: api.child, model: model.child, clients: clients.map((c) => c.child) };

  const figures: Figures = { overheads: [], tokenDelays: [], failures: [], tokens: 0 };
  await runRound(run, 0, figures, false);
  if (config.profile) await ask<ProfileMessage>(api.child, { type: 'profile', action: 'start' } satisfies ProfileCommand, 'profiled');
  const cpuBefore = await ask<Extract<ChildMessage, { type: 'usage' }>>(api.child, { type: 'usage' }, 'usage');
  let streaming: MemoryMessage | undefined;
  for (let round = 1; round <= config.rounds; round++) streaming = (await runRound(run, round, figures, round === 1)) ?? streaming;
  const cpuAfter = await ask<Extract<ChildMessage, { type: 'usage' }>>(api.child, { type: 'usage' }, 'usage');
  const saved = await savedAnswers();
  if (config.profile) await printProfile(api.child, config.profile, figures.tokens);

  return report(figures, (cpuAfter.cpuMicros - cpuBefore.cpuMicros) / Math.max(1, figures.tokens), { before, idle, streaming }, saved);
}

async function printProfile(api: ChildProcess, file: string, tokens: number): Promise<void> {
  await ask<ProfileMessage>(api, { type: 'profile', action: 'stop', file } satisfies ProfileCommand, 'profiled');
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  console.log(`\nthe API's CPU profile over the measured rounds (${file}):\n${summarise(profile, Math.max(1, tokens), 'token')}`);
}

/** The answers and prompts the API saved: every turn's, with the exact text. */
async function savedAnswers(): Promise<{ assistant: number; user: number }> {
  const db = createPrismaClient({ url: database.url });
  try {
    const expected = benchAnswer(config.tokens).join('');
    const assistant = await db.message.count({ where: { role: 'assistant', content: expected } });
    const user = await db.message.count({ where: { role: 'user' } });
    return { assistant, user };
  } finally {
    await db.$disconnect();
  }
}

await runBenchmark(
  'agent-ws',
  main,
  async () => {
    for (const child of children) child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    for (const child of children) child.kill('SIGKILL');
    await database.drop();
  },
  'stopping the processes and dropping the database',
);
