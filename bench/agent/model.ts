// The agent-ws benchmark's fake OpenAI-compatible model, in a process of its own (so it never
// competes with the clients on one event loop): every request gets the same answer of
// BENCH_TOKENS chunks, due BENCH_TOKEN_INTERVAL_MS apart, and the time each chunk was written is
// kept for the parent, which asks for the records of each round.
import { startFakeOpenAI } from '@personal-automations/testing/fake-openai';
import { intEnv } from '../lib/env.ts';
import { benchAnswer, type ModelCommand, type ModelMessage, type ModelRecord } from './protocol.ts';

const tokens = intEnv('BENCH_TOKENS', 200, 1, 10_000);
const intervalMs = intEnv('BENCH_TOKEN_INTERVAL_MS', 20, 0, 1000);
const answer = benchAnswer(tokens);
const send = (message: ModelMessage) => process.send?.(message);
const wall = (t: number) => performance.timeOrigin + t;

const fake = await startFakeOpenAI();
fake.reply = () => ({
  kind: 'text',
  chunks: answer,
  intervalMs,
  recordChunks: true,
  usage: { prompt_tokens: 20, completion_tokens: tokens, total_tokens: 20 + tokens },
});

process.on('message', (command: ModelCommand) => {
  if (command.type !== 'collect') return;
  const records: ModelRecord[] = fake.requests.splice(0).map((request) => ({
    key: String(request.body.messages.at(-1)?.content),
    receivedAt: wall(request.receivedAt),
    firstChunkAt: wall(request.firstChunkAt ?? Number.NaN),
    chunkWrittenAt: (request.chunkWrittenAt ?? []).map(wall),
  }));
  send({ type: 'records', records });
});
process.on('disconnect', () => void fake.close().finally(() => process.exit(0)));
send({ type: 'ready', baseUrl: fake.baseUrl });
