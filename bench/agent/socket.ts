// One agent WebSocket of the benchmarks' clients (agent/clients.ts, soak/load.ts): sends a turn,
// follows its frames, and records when each token of the expected answer arrived and whether
// the answer came complete and exact.
import WebSocket, { type RawData } from 'ws';
import { now, type TurnRecord } from './protocol.ts';

type Turn = TurnRecord & { text: string; output: string | null };

export class BenchSocket {
  private readonly ws: WebSocket;
  private readonly expected: string;
  /** Where each token ends in the answer's text: a token has arrived once the text reaches its end. */
  private readonly tokenEnds: number[] = [];
  private turn: Turn | undefined;
  private done: ((turn: TurnRecord) => void) | undefined;
  constructor(ws: WebSocket, answer: string[]) {
    this.ws = ws;
    this.expected = answer.join('');
    for (const token of answer) this.tokenEnds.push((this.tokenEnds.at(-1) ?? 0) + token.length);
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
    const { tokenEnds, expected } = this;
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

/** Opens a socket to `url` (no compression) and resolves once it is open. */
export async function openSocket(url: string, answer: string[]): Promise<BenchSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return new BenchSocket(ws, answer);
}
