// The model's streamed answer as the agent gets it (OpenAIChatModel.stream), from the fake model
// server writing SSE bodies cut into pieces anywhere: the chunks and the failure must be what the
// openai client's own stream gave for the same body (the reference below is the reading the model
// did before it parsed the body itself): text, tool call fragments, usage, `[DONE]` (and nothing
// after it), an error payload or an `event: error` mid-answer, malformed JSON, CRLFs, comments, a
// character split between pieces, a body that ends without `[DONE]`. Stopping early, or aborting,
// closes the model's connection.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_API_KEY, type FakeOpenAI, startFakeOpenAI } from '@personal-automations/testing/fake-openai';
import { type ModelChunk, OpenAIChatModel } from '../src/agent/model.ts';
import { ExternalServiceError } from '../src/errors.ts';

let fake: FakeOpenAI;
let model: OpenAIChatModel;
let client: OpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
  const config = { OPENAI_API_KEY: FAKE_API_KEY, OPENAI_BASE_URL: fake.baseUrl, AI_MODEL: 'test-model', AI_TEMPERATURE: 0 };
  model = new OpenAIChatModel({ ...config, AGENT_MAX_OUTPUT_TOKENS: 100 });
  client = new OpenAI({ apiKey: FAKE_API_KEY, baseURL: fake.baseUrl, logLevel: 'off', maxRetries: 0 });
});
afterAll(() => fake.close());

const data = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;
const delta = (d: object, finish: string | null = null) =>
  data({ id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: d, finish_reason: finish }] });
const usage = data({
  id: 'c1',
  object: 'chat.completion.chunk',
  choices: [],
  usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
});
const call = (index: number, fn: object, id?: string) =>
  delta({ tool_calls: [{ index, ...(id && { id, type: 'function' }), function: fn }] });

const BODIES: Record<string, string> = {
  text: [
    delta({ role: 'assistant', content: '' }),
    delta({ content: 'Grüße, ' }),
    delta({ content: '🙂 ok' }),
    delta({}, 'stop'),
    usage,
    'data: [DONE]\n\n',
    delta({ content: 'after done' }),
  ].join(''),
  'tool calls': [
    call(0, { name: 'current_datetime', arguments: '' }, 'call_a'),
    call(0, { arguments: '{"tz":' }),
    call(0, { arguments: '"UTC"}' }),
    call(1, { name: 'search', arguments: '{}' }, 'call_b'),
    delta({}, 'tool_calls'),
    usage,
    'data: [DONE]\n\n',
  ].join(''),
  'an error payload mid-answer': [
    delta({ content: 'partial' }),
    data({ error: { message: 'overloaded', type: 'server_error' } }),
    delta({ content: 'never' }),
  ].join(''),
  'an error event mid-answer': [
    delta({ content: 'partial' }),
    'event: error\ndata: {"message":"upstream failed"}\n\n',
    'data: [DONE]\n\n',
  ].join(''),
  'malformed JSON': [delta({ content: 'partial' }), 'data: {"choices": [\n\n', 'data: [DONE]\n\n'].join(''),
  'CRLF and comments': [
    ': keep-alive\r\n\r\n',
    delta({ content: 'línea' }).replaceAll('\n', '\r\n'),
    ': ping\n\n',
    usage,
    'data: [DONE]\r\n\r\n',
  ].join(''),
  'no [DONE] and no blank line at the end': [delta({ content: 'abrupt' }), delta({ content: ' end' }).trimEnd()].join(''),
};

/** The body in pieces of `size` bytes (so cut mid-line and, somewhere, mid-character). */
function pieces(body: string, size: number): Uint8Array[] {
  const bytes = Buffer.from(body);
  return Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));
}

type Outcome = { chunks: ModelChunk[]; error?: string };
const describeError = (error: unknown) => {
  const cause = error instanceof ExternalServiceError ? error.cause : error;
  return cause instanceof Error ? `${cause.constructor.name}: ${cause.message}` : String(cause);
};

async function viaModel(): Promise<Outcome> {
  const chunks: ModelChunk[] = [];
  try {
    for await (const chunk of model.stream([{ role: 'user', content: 'hi' }], [], new AbortController().signal)) chunks.push(chunk);
    return { chunks };
  } catch (error) {
    return { chunks, error: describeError(error) };
  }
}

/** The reading before: the openai client's stream, each chunk turned into ModelChunks. */
async function viaClientStream(): Promise<Outcome> {
  const chunks: ModelChunk[] = [];
  try {
    const messages = [{ role: 'user' as const, content: 'hi' }];
    const stream = await client.chat.completions.create({
      model: 'test-model',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const chunk of stream) {
      if (chunk.usage) {
        const { total_tokens: totalTokens, prompt_tokens: promptTokens, completion_tokens: completionTokens } = chunk.usage;
        chunks.push({ type: 'usage', totalTokens, promptTokens, completionTokens });
      }
      const d = chunk.choices[0]?.delta;
      if (d?.content) chunks.push({ type: 'text', content: d.content });
      for (const c of d?.tool_calls ?? []) {
        const { id, function: fn } = c;
        chunks.push({
          type: 'tool_call',
          index: c.index ?? 0,
          ...(id && { id }),
          ...(fn?.name && { name: fn.name }),
          argsDelta: fn?.arguments ?? '',
        });
      }
    }
    return { chunks };
  } catch (error) {
    return { chunks, error: describeError(error) };
  }
}

describe('OpenAIChatModel.stream, reading the SSE body itself', () => {
  for (const [name, body] of Object.entries(BODIES)) {
    it(`gives what the openai client's stream gave: ${name}`, async () => {
      for (const size of [body.length, 1, 5, 13]) {
        fake.reply = () => ({ kind: 'raw', pieces: pieces(body, size), intervalMs: size > 5 ? 1 : 0 });
        const ours = await viaModel();
        const reference = await viaClientStream();
        expect(ours, `${name}, pieces of ${size} bytes`).toEqual(reference);
        expect(ours.chunks.length).toBeGreaterThan(0);
      }
    });
  }

  it('shows a failure mid-answer as the model request failing, the upstream error kept as its cause', async () => {
    fake.reply = () => ({ kind: 'raw', pieces: [BODIES['an error payload mid-answer']!] });
    const chunks: ModelChunk[] = [];
    const failure = await (async () => {
      for await (const chunk of model.stream([{ role: 'user', content: 'hi' }], [], new AbortController().signal)) chunks.push(chunk);
    })().catch((error: unknown) => error);
    expect(chunks).toEqual([{ type: 'text', content: 'partial' }]);
    expect(failure).toBeInstanceOf(ExternalServiceError);
    expect((failure as Error).message).toBe('The model request failed');
    expect((failure as Error).cause).toBeInstanceOf(OpenAI.APIError);
  });

  const endless = () => ({
    kind: 'raw' as const,
    pieces: Array.from({ length: 500 }, (_, i) => delta({ content: `w${i} ` })),
    intervalMs: 10,
  });

  it('closes the connection when the reader stops early', async () => {
    fake.reply = endless;
    const closed = fake.nextAbort();
    for await (const chunk of model.stream([{ role: 'user', content: 'hi' }], [], new AbortController().signal)) {
      expect(chunk).toEqual({ type: 'text', content: 'w0 ' });
      break;
    }
    await closed;
  });

  it('throws the abort reason and closes the connection when aborted mid-answer', async () => {
    fake.reply = endless;
    const closed = fake.nextAbort();
    const controller = new AbortController();
    const reason = new Error('stopped');
    const seen: ModelChunk[] = [];
    const failure = await (async () => {
      for await (const chunk of model.stream([{ role: 'user', content: 'hi' }], [], controller.signal)) {
        seen.push(chunk);
        if (seen.length === 2) controller.abort(reason);
      }
    })().catch((error: unknown) => error);
    expect(failure).toBe(reason);
    await closed;
  });
});
