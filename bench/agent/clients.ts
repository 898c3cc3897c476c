// The agent-ws benchmark's socket clients, in a process of their own (the parent forks one or
// more): CLIENT_SOCKETS sockets to the API, numbered from CLIENT_FIRST over all client processes.
// For each round the parent sends, every socket sends one turn at its due time and records when
// each token of the answer arrived; the results of the round go back to the parent.
import { intEnv } from '../lib/env.ts';
import { benchAnswer, type ClientsCommand, type ClientsMessage, now, turnKey } from './protocol.ts';
import { type BenchSocket, openSocket } from './socket.ts';

const url = process.env.CLIENT_URL ?? '';
const first = intEnv('CLIENT_FIRST', 0, 0, 100_000);
const count = intEnv('CLIENT_SOCKETS', 1, 1, 100_000);
const answer = benchAnswer(intEnv('BENCH_TOKENS', 200, 1, 10_000));
const send = (message: ClientsMessage) => process.send?.(message);

const sockets: BenchSocket[] = [];

async function open(): Promise<void> {
  for (let i = 0; i < count; i++) {
    sockets.push(await openSocket(url, answer));
  }
}

async function round(command: Extract<ClientsCommand, { type: 'round' }>): Promise<void> {
  const turns = await Promise.all(
    sockets.map(async (socket, i) => {
      const index = first + i;
      const wait = command.startAt + index * command.spacingMs - now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      return socket.run(turnKey(index, command.round));
    }),
  );
  send({ type: 'results', round: command.round, turns });
}

process.on('message', (command: ClientsCommand) => {
  if (command.type === 'round') void round(command);
  else if (command.type === 'status') send({ type: 'status', streaming: sockets.filter((s) => s.streaming).length });
});
process.on('disconnect', () => {
  for (const socket of sockets) socket.close();
  process.exit(0);
});
open().then(
  () => send({ type: 'open' }),
  (error: unknown) => send({ type: 'failed', message: error instanceof Error ? error.message : String(error) }),
);
