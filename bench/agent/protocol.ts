// What the agent-ws benchmark's processes tell each other over IPC. Every time is wall-clock
// milliseconds (performance.timeOrigin + performance.now()), comparable across the processes of
// this machine.

/** The fake model's record of one request, keyed by the user message that asked it. */
export type ModelRecord = { key: string; receivedAt: number; firstChunkAt: number; chunkWrittenAt: number[] };

/** One socket's turn, as its client saw it. */
export type TurnRecord = {
  key: string;
  sentAt: number;
  firstTokenAt: number | null;
  /** When each token of the answer had fully arrived (a frame may carry several). */
  tokenAt: number[];
  /** Why the turn is not a valid measurement (wrong text, an error event, a closed socket). */
  failure: string | null;
};

export type ModelMessage = { type: 'ready'; baseUrl: string } | { type: 'records'; records: ModelRecord[] };
export type ModelCommand = { type: 'collect' };

export type ClientsCommand =
  /** Every socket i of this process sends its turn at startAt + i * spacingMs (i counted over all processes). */
  { type: 'round'; round: number; startAt: number; spacingMs: number } | { type: 'status' };
export type ClientsMessage =
  | { type: 'open' }
  | { type: 'failed'; message: string }
  | { type: 'results'; round: number; turns: TurnRecord[] }
  | { type: 'status'; streaming: number };

export const now = (): number => performance.timeOrigin + performance.now();

/** The key (and user message) of socket `index`'s turn in `round`. */
export const turnKey = (index: number, round: number): string => `bench socket ${index} round ${round}`;

/** The answer the fake model streams: BENCH_TOKENS tokens `t<i> `, the last without its space. */
export function benchAnswer(tokens: number): string[] {
  return Array.from({ length: tokens }, (_, i) => `t${i}${i === tokens - 1 ? '' : ' '}`);
}
