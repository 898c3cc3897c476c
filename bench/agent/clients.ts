// The agent-ws benchmark's socket clients, in a process of their own (the parent forks one or
// more): CLIENT_SOCKETS sockets to the API, numbered from CLIENT_FIRST over all client processes.
// For each round the parent sends, every socket sends one turn at its due time and records when
// each token of the answer arrived; the results of the round go back to the parent.
import WebSocket, { type RawData } from 'ws';
import { intEnv } from '../lib/env.ts';
import { benchAnswer, type ClientsCommand, type ClientsMessage, now, type TurnRecord, turnKey } from './protocol.ts';

const url = process.env.CLIENT_URL ?? '';
const first = intEnv('CLIENT_FIRST', 0, 0, 100_000);
const count = intEnv('CLIENT_SOCKETS', 1, 1, 100_000);
const answer = benchAnswer(intEnv('BENCH_TOKENS', 200, 1, 10_000));
const expected = answer.join('');
/** Where each token ends in the answer's text: a token has arrived once the text reaches its end. */
const tokenEnds: number[] = [];
for (const token of answer) tokenEnds.push((tokenEnds.at(-1) ?? 0) + token.length);
const send = (message: ClientsMessage) => process.send?.(message);

type Turn = TurnRecord & { text: string; output: string | null };

class BenchSocket {
  private readonly ws: WebSocket;
  private turn: Turn | undefined;
  private done: ((turn: TurnRecord) => void) | undefined;
  constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data: RawData) => this.onFrame(String(data)));
    ws.on('close', () => this.finish('socket closed'));
  }

  get streaming(): boolean {
    return this.turn?.firstTokenAt != null;
  }

  run(key: string): Promise<TurnRecord> {
    this.turn = { key, sentAt: now(), firstTokenAt: null, tokenAt: [], failure: null, text: '', output: null };
    const finished = new Promise<TurnRecord>((resolve) => (this.done = resolve));
    this.ws.send(JSON.stringify({ message: key }));
    return finished;
  }

  private onFrame(frame: string): void {
    const turn = this.turn;
    if (!turn) return;
    const event = JSON.parse(frame) as { type: string; data: Record<string, unknown> };
    if (event.type === 'text_delta') {
      const at = now();
      turn.firstTokenAt ??= at;
      turn.text += String(event.data.content);
      while (turn.tokenAt.length < tokenEnds.length && turn.text.length >= tokenEnds[turn.tokenAt.length]!) turn.tokenAt.push(at);
    } else if (event.type === 'final_result') turn.output = String(event.data.output);
    else if (event.type === 'complete') this.finish(turn.text === expected && turn.output === expected ? null : 'wrong answer');
    else if (event.type === 'error') this.finish(`error event: ${String(event.data.message)}`);
  }

  finish(failure: string | null): void {
    const { turn, done } = this;
    this.turn = undefined;
    this.done = undefined;
    if (!turn || !done) return;
    const { text: _text, output: _output, ...record } = turn;
    done({ ...record, failure: record.failure ?? failure });
  }

  close(): void {
    this.ws.terminate();
  }
}

const sockets: BenchSocket[] = [];

async function open(): Promise<void> {
  for (let i = 0; i < count; i++) {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    sockets.push(new BenchSocket(ws));
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
