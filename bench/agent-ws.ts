// Benchmark: N agent WebSockets at once, each streaming a 200-token answer from a fake
// OpenAI-compatible server. In each round every socket sends one message; the sends are spread
// over one answer's duration, so by mid-round all N answers are streaming together. The API (apps/api buildApp) runs in a child process; the fake model
// server and the socket clients run in this one, so every timestamp below is on one clock.
//
// Server overhead to first token = (client sent the frame → client got the first text_delta)
// minus (fake server got the request → fake server wrote its first chunk): what the API adds
// (frame parsing, auth'd connection state, saving the user message, the openai client, SSE
// parsing, the event frames), without the model's own latency.
// Memory per socket = the API process's RSS and V8 heap after a forced GC, with N sockets open
// and idle, and again while all N are streaming, minus the same figures before any socket, ÷ N.
//
// Settings (environment):
//   BENCH_SOCKETS            concurrent sockets (default 50, at most 1000: AGENT_MAX_SOCKETS_PER_USER's range)
//   BENCH_TOKENS             tokens (SSE content chunks) per answer (default 200)
//   BENCH_TOKEN_INTERVAL_MS  pause between two chunks of one answer (default 10: 100 tokens/s)
//   BENCH_ROUNDS             measured turns per socket, after one warm-up turn (default 3)
// The database server is the one the settings name; a fresh database pa_bench_<random> is
// created there and dropped at the end.
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import WebSocket, { type RawData } from 'ws';
import { buildApp } from '@personal-automations/api';
import { getSettings } from '@personal-automations/config';
import { FAKE_API_KEY, type FakeOpenAI, type RecordedRequest, startFakeOpenAI } from '@personal-automations/testing/fake-openai';
import { type ChildMessage, childSettings, runServer, serve } from './lib/child.ts';
import { benchDatabase } from './lib/database.ts';
import { intEnv } from './lib/env.ts';

type Memory = { rss: number; heapUsed: number };
type MemoryMessage = { type: 'memory' } & Memory;
const ROUND_TIMEOUT_MS = 120_000;

// ---- parent: fake model, clients, measurements ----------------------------------------------

function startApi(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], {
    env,
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the API exited during startup (code ${code})`)));
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'listening') resolve({ child, port: message.port });
      if (message.type === 'failed') reject(new Error(`the API failed to start:\n${message.message}`));
    });
  });
}

function memoryOf(child: ChildProcess): Promise<Memory> {
  return new Promise((resolve) => {
    const onMessage = (message: MemoryMessage) => {
      if (message.type !== 'memory') return;
      child.off('message', onMessage);
      resolve({ rss: message.rss, heapUsed: message.heapUsed });
    };
    child.on('message', onMessage);
    child.send({ type: 'memory' });
  });
}

async function login(base: string): Promise<string> {
  const email = 'bench-agent@example.com';
  const password = `bench-${randomBytes(8).toString('hex')}`;
  const registered = await fetch(`${base}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (registered.status !== 201) throw new Error(`register answered ${registered.status}: ${await registered.text()}`);
  const loggedIn = await fetch(`${base}/auth/login`, { method: 'POST', body: new URLSearchParams({ username: email, password }) });
  if (loggedIn.status !== 200) throw new Error(`login answered ${loggedIn.status}: ${await loggedIn.text()}`);
  return ((await loggedIn.json()) as { access_token: string }).access_token;
}

type Turn = { sentAt: number; firstTokenAt?: number; text: string; output?: string; failure?: string };

/** One socket: sends a turn, timestamps its first text_delta, resolves on complete (or error). */
class BenchSocket {
  readonly ws: WebSocket;
  /** Between its first token and its end. */
  get streaming(): boolean {
    return this.turn?.firstTokenAt !== undefined;
  }
  private turn: Turn | undefined;
  private done: ((turn: Turn) => void) | undefined;

  constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data: RawData) => this.onEvent(JSON.parse(String(data)) as { type: string; data: Record<string, unknown> }));
    ws.on('close', () => this.finish('socket closed'));
  }

  run(message: string): Promise<Turn> {
    this.turn = { sentAt: performance.now(), text: '' };
    const finished = new Promise<Turn>((resolve) => (this.done = resolve));
    this.ws.send(JSON.stringify({ message }));
    return finished;
  }

  private onEvent(event: { type: string; data: Record<string, unknown> }) {
    const turn = this.turn;
    if (!turn) return;
    if (event.type === 'text_delta') {
      turn.firstTokenAt ??= performance.now();
      turn.text += String(event.data.content);
    } else if (event.type === 'final_result') turn.output = String(event.data.output);
    else if (event.type === 'complete') this.finish();
    else if (event.type === 'error') this.finish(`error event: ${String(event.data.message)}`);
  }

  private finish(failure?: string) {
    const { turn, done } = this;
    this.turn = undefined;
    this.done = undefined;
    if (!turn || !done) return;
    if (failure) turn.failure = failure;
    done(turn);
  }
}

const percentile = (sorted: number[], q: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]! : NaN;
const ms = (n: number) => `${n.toFixed(2)} ms`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

async function runBenchmark(): Promise<void> {
  const config = {
    sockets: intEnv('BENCH_SOCKETS', 50, 1, 1000),
    tokens: intEnv('BENCH_TOKENS', 200, 1, 10_000),
    intervalMs: intEnv('BENCH_TOKEN_INTERVAL_MS', 10, 0, 1000),
    rounds: intEnv('BENCH_ROUNDS', 3, 1, 50),
  };
  const settings = getSettings();
  const database = benchDatabase(settings.databaseUrl);
  const databaseUrl = database.url;
  let api: { child: ChildProcess; port: number } | undefined;
  let fake: FakeOpenAI | undefined;
  const sockets: BenchSocket[] = [];
  let exitCode = 1;
  try {
    console.log(
      `agent-ws: ${config.sockets} sockets, ${config.tokens}-token answers, ${config.intervalMs} ms between tokens, 1 warm-up + ${config.rounds} measured turn(s) per socket`,
    );
    await database.create();

    fake = await startFakeOpenAI();
    const answer = Array.from({ length: config.tokens }, (_, i) => `t${i}${i === config.tokens - 1 ? '' : ' '}`);
    const expected = answer.join('');
    const requestOf = new Map<string, RecordedRequest>();
    fake.reply = (request, recorded) => {
      requestOf.set(String(request.messages.at(-1)?.content), recorded);
      return {
        kind: 'text',
        chunks: answer,
        intervalMs: config.intervalMs,
        usage: { prompt_tokens: 20, completion_tokens: config.tokens, total_tokens: 20 + config.tokens },
      };
    };

    api = await startApi({
      ...process.env,
      DATABASE_URL: databaseUrl,
      OPENAI_BASE_URL: fake.baseUrl,
      OPENAI_API_KEY: FAKE_API_KEY,
      LOG_LEVEL: 'silent',
      RATE_LIMIT_ENABLED: 'false',
      // every socket is the one bench user's: the per-user cap is raised to the socket count
      AGENT_MAX_SOCKETS_PER_USER: String(config.sockets),
      NODE_ENV: 'production',
    });
    const base = `http://127.0.0.1:${api.port}${settings.API_V1_STR}`;
    const token = await login(base);

    const before = await memoryOf(api.child);
    for (let i = 0; i < config.sockets; i++) {
      const ws = new WebSocket(`${base.replace('http', 'ws')}/ws/agent?token=${token}`);
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      sockets.push(new BenchSocket(ws));
    }
    const idle = await memoryOf(api.child);

    const overheads: number[] = [];
    const firstTokens: number[] = [];
    // the two halves of the overhead: frame → model request, and model's first chunk → text_delta
    const toModel: number[] = [];
    const fromModel: number[] = [];
    const failures: string[] = [];
    let streaming: { memory: Memory; sockets: number } | undefined;
    for (let round = 0; round <= config.rounds; round++) {
      requestOf.clear();
      const started = performance.now();
      // Starts are spread over one answer's duration, so mid-round all N answers stream at once
      // and each new turn meets the others' streaming load rather than a single burst.
      const spacing = (config.tokens * config.intervalMs) / sockets.length;
      const turns = Promise.all(
        sockets.map(async (socket, i) => {
          await new Promise((resolve) => setTimeout(resolve, i * spacing));
          return socket.run(`bench socket ${i} round ${round}`);
        }),
      );
      // In the first measured round, sample memory once every socket is receiving its answer.
      const sample =
        round === 1
          ? (async () => {
              let settled = false;
              void turns.finally(() => (settled = true));
              while (!settled && !sockets.every((socket) => socket.streaming)) await new Promise((r) => setTimeout(r, 1));
              const midStream = sockets.filter((socket) => socket.streaming).length;
              streaming = { memory: await memoryOf(api!.child), sockets: midStream };
            })()
          : undefined;
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`round ${round} did not finish in ${ROUND_TIMEOUT_MS / 1000} s`)), ROUND_TIMEOUT_MS).unref(),
      );
      const results = await Promise.race([turns, timeout]);
      await sample;
      const wall = performance.now() - started;
      for (const [i, turn] of results.entries()) {
        const upstream = requestOf.get(`bench socket ${i} round ${round}`);
        if (
          turn.failure ||
          turn.text !== expected ||
          turn.output !== expected ||
          !upstream?.firstChunkAt ||
          turn.firstTokenAt === undefined
        ) {
          failures.push(`round ${round} socket ${i}: ${turn.failure ?? 'wrong or missing answer'}`);
          continue;
        }
        if (round === 0) continue; // warm-up
        firstTokens.push(turn.firstTokenAt - turn.sentAt);
        toModel.push(upstream.receivedAt - turn.sentAt);
        fromModel.push(turn.firstTokenAt - upstream.firstChunkAt);
        overheads.push(turn.firstTokenAt - turn.sentAt - (upstream.firstChunkAt - upstream.receivedAt));
      }
      console.log(`  ${round === 0 ? 'warm-up ' : `round ${round}/${config.rounds}`}  ${sockets.length} turns in ${ms(wall)}`);
    }

    for (const list of [overheads, firstTokens, toModel, fromModel]) list.sort((a, b) => a - b);
    const perSocket = (m: Memory | undefined, key: keyof Memory) => (m ? kib((m[key] - before[key]) / config.sockets) : 'n/a');
    console.log(`\n${overheads.length} measured turns`);
    console.log(
      `  server overhead to first token   p50 ${ms(percentile(overheads, 0.5))}   p99 ${ms(percentile(overheads, 0.99))}   max ${ms(overheads.at(-1) ?? NaN)}`,
    );
    console.log(`    frame sent → model request      p50 ${ms(percentile(toModel, 0.5))}   p99 ${ms(percentile(toModel, 0.99))}`);
    console.log(`    model's first chunk → delta     p50 ${ms(percentile(fromModel, 0.5))}   p99 ${ms(percentile(fromModel, 0.99))}`);
    console.log(`  client time to first token       p50 ${ms(percentile(firstTokens, 0.5))}   p99 ${ms(percentile(firstTokens, 0.99))}`);
    console.log(`  API process before any socket    RSS ${kib(before.rss)}, heap ${kib(before.heapUsed)}`);
    console.log(`  memory per socket, idle          RSS ${perSocket(idle, 'rss')}, heap ${perSocket(idle, 'heapUsed')}`);
    console.log(
      `  memory per socket, streaming     RSS ${perSocket(streaming?.memory, 'rss')}, heap ${perSocket(streaming?.memory, 'heapUsed')}` +
        ` (sampled with ${streaming?.sockets ?? 0} of ${config.sockets} sockets mid-answer)`,
    );
    if (failures.length) {
      console.log(
        `\n!! ${failures.length} turn(s) failed, e.g. ${failures.slice(0, 3).join('; ')}: the figures above are not a valid measurement`,
      );
    } else exitCode = 0;
  } catch (error) {
    console.error('agent-ws benchmark failed:', error);
  } finally {
    for (const socket of sockets) socket.ws.terminate();
    if (api) {
      const { child } = api;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000).unref())]);
      child.kill('SIGKILL');
    }
    await fake?.close();
    await database.drop();
  }
  process.exit(exitCode);
}

// ---- child: the API server -----------------------------------------------------------------

function runApiServer(): void {
  runServer(async () => {
    const app = await buildApp({ settings: childSettings(), logger: false });
    process.on('message', (message: { type?: string }) => {
      if (message?.type !== 'memory') return;
      globalThis.gc?.();
      const { rss, heapUsed } = process.memoryUsage();
      process.send?.({ type: 'memory', rss, heapUsed } satisfies MemoryMessage);
    });
    await serve(app);
  });
}

if (process.argv.includes('--serve')) runApiServer();
else await runBenchmark();
