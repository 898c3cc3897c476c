// The soak benchmark's load generator, in a process of its own (never the API's): SOAK_READERS
// clients reading the items page, SOAK_WRITERS creating items, and SOAK_AGENTS agent WebSockets
// running turns, each client one operation after another with no pause, from the parent's
// `start` to its `stop`. It counts what completed and what failed, by kind, and answers the
// counts when asked; on `stop` it finishes the operations in flight and sends the final counts
// with the titles of the items it created (the parent checks each one's webhook delivery).
import { benchAnswer } from '../agent/protocol.ts';
import { type BenchSocket, openSocket } from '../agent/socket.ts';
import { intEnv } from '../lib/env.ts';
import type { Counts, LoadCommand, LoadMessage } from './protocol.ts';

const base = process.env.SOAK_API_URL ?? '';
const authorization = process.env.SOAK_AUTHORIZATION ?? '';
const wsUrl = process.env.SOAK_WS_URL ?? '';
const readers = intEnv('SOAK_READERS', 20, 0, 1000);
const writers = intEnv('SOAK_WRITERS', 2, 0, 1000);
const agents = intEnv('SOAK_AGENTS', 4, 0, 1000);
const answer = benchAnswer(intEnv('BENCH_TOKENS', 10, 1, 10_000));
const send = (message: LoadMessage) => process.send?.(message);

const counts: Counts = { reads: 0, writes: 0, turns: 0, errors: {} };
const created: string[] = [];
let running = false;

/** Counts a failure by kind; numbers in the message (retry delays, ids) are masked so that one kind stays one row. */
function fail(message: string): void {
  const kind = message.replace(/\d+/g, 'N');
  counts.errors[kind] = (counts.errors[kind] ?? 0) + 1;
}
const errorKind = (error: unknown) =>
  error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);

/** One request; a status other than `expected`, or a network error, is counted by kind. */
async function request(kind: 'read' | 'write', path: string, init: RequestInit, expected: number): Promise<boolean> {
  try {
    const response = await fetch(`${base}${path}`, { ...init, headers: { authorization, ...init.headers } });
    await response.arrayBuffer();
    if (response.status === expected) return true;
    fail(`${kind}: HTTP ${response.status}`);
  } catch (error) {
    fail(`${kind}: ${errorKind(error)}`);
  }
  return false;
}

async function reader(): Promise<void> {
  while (running) if (await request('read', '/items?page=1&size=20', {}, 200)) counts.reads++;
}

async function writer(index: number): Promise<void> {
  for (let n = 0; running; n++) {
    const title = `soak-w${index}-${n}`;
    const body = JSON.stringify({ title, description: 'soak benchmark item' });
    if (await request('write', '/items', { method: 'POST', body, headers: { 'content-type': 'application/json' } }, 201)) {
      counts.writes++;
      created.push(title);
    }
  }
}

/** Turns back to back on one socket; a closed socket ends this client (it would fail every turn). */
async function agent(socket: BenchSocket, index: number): Promise<void> {
  for (let n = 0; running; n++) {
    const turn = await socket.run(`soak agent ${index} turn ${n}`);
    if (!turn.failure) counts.turns++;
    else {
      fail(`turn: ${turn.failure}`);
      if (turn.failure === 'socket closed') return;
    }
  }
}

async function main(): Promise<void> {
  const sockets: BenchSocket[] = [];
  for (let i = 0; i < agents; i++) sockets.push(await openSocket(wsUrl, answer));
  let clients: Promise<void>[] = [];
  process.on('message', (command: LoadCommand) => {
    if (command.type === 'start') {
      running = true;
      clients = [
        ...Array.from({ length: readers }, () => reader()),
        ...Array.from({ length: writers }, (_, i) => writer(i)),
        ...sockets.map((socket, i) => agent(socket, i)),
      ];
    } else if (command.type === 'counts') send({ type: 'counts', ...counts });
    else if (command.type === 'stop') {
      running = false;
      void Promise.all(clients).then(() => {
        for (const socket of sockets) socket.close();
        send({ type: 'stopped', ...counts, created });
      });
    }
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready' });
}

main().catch((error: unknown) =>
  send({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
);
