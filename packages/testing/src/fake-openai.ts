// A small OpenAI-compatible chat-completions server on 127.0.0.1 for tests and benchmarks: it
// answers POST /v1/chat/completions with real `chat.completion.chunk` SSE streams (text, tool
// calls, usage), or with an HTTP error, as the current reply function decides.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export type FakeUsage = { prompt_tokens: number; completion_tokens: number; total_tokens: number };

export type FakeReply =
  /**
   * Streams `chunks` as content deltas, due `intervalMs` apart from the first (a late one does not
   * delay the rest); with `hold`, stays open after them until the client aborts; with
   * `recordChunks`, notes when each was written; with `gate`, waits for `gate.open` after its
   * first `gate.after` chunks (a turn held mid-answer for as long as a test needs).
   */
  | {
      kind: 'text';
      chunks: string[];
      usage?: FakeUsage;
      intervalMs?: number;
      hold?: boolean;
      waitFor?: Promise<unknown>;
      recordChunks?: boolean;
      gate?: { after: number; open: Promise<unknown> };
    }
  /** Streams one tool call, its arguments in `argChunks`. */
  | ({ kind: 'tool_call'; usage?: FakeUsage } & FakeToolCall)
  /** Streams several tool calls in one answer, one after the other. */
  | { kind: 'tool_calls'; calls: FakeToolCall[]; usage?: FakeUsage }
  | { kind: 'error'; status: number; message?: string }
  /**
   * Writes `pieces` as they are, `intervalMs` apart, as the SSE body (`text/event-stream`): a stream
   * cut anywhere (mid-line, mid-character), with comments, CRLFs or error events, as a real server
   * may send it.
   */
  | { kind: 'raw'; pieces: (string | Uint8Array)[]; intervalMs?: number };

export type FakeToolCall = { name: string; argChunks?: string[]; id?: string };

export type ChatMessage = {
  role: string;
  content?: string | null;
  tool_call_id?: string;
  tool_calls?: { id: string; function: { name: string; arguments: string } }[];
};
export type ChatRequest = {
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  max_tokens?: number;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  tools?: { type: string; function: { name: string; description?: string; parameters?: unknown } }[];
};

export type RecordedRequest = {
  body: ChatRequest;
  authorization: string | undefined;
  /** performance.now() when the request body was read, and when the first chunk was written. */
  receivedAt: number;
  firstChunkAt?: number;
  /** performance.now() at the write of each content chunk, kept when the reply asks for it (`recordChunks`). */
  chunkWrittenAt?: number[];
  aborted: boolean;
};

export type ReplyFunction = (request: ChatRequest, recorded: RecordedRequest) => FakeReply;

export const FAKE_API_KEY = 'test-openai-key';

/** Splits text into word-sized chunks that concatenate back to it. */
export const wordChunks = (text: string): string[] => text.match(/\S+\s*|\s+/g) ?? [];

const lastMessage = (request: ChatRequest) => request.messages.at(-1);

/**
 * The default conversation: a question about the time asks for `current_datetime`; a tool
 * result is acknowledged; anything else is echoed.
 */
export const defaultReply: ReplyFunction = (request) => {
  const last = lastMessage(request);
  if (last?.role === 'tool') return { kind: 'text', chunks: wordChunks(`The tool says: ${last.content}`), usage: usage(30, 8) };
  if (/\btime\b/i.test(last?.content ?? ''))
    return { kind: 'tool_call', name: 'current_datetime', argChunks: ['{', '}'], usage: usage(20, 5) };
  return { kind: 'text', chunks: wordChunks(`You said: ${last?.content ?? ''}`), usage: usage(12, 6) };
};

export const usage = (prompt: number, completion: number): FakeUsage => ({
  prompt_tokens: prompt,
  completion_tokens: completion,
  total_tokens: prompt + completion,
});

export class FakeOpenAI {
  readonly requests: RecordedRequest[] = [];
  reply: ReplyFunction = defaultReply;
  private server: Server | undefined;
  private readonly open = new Set<ServerResponse>();
  private abortWaiters: (() => void)[] = [];
  private counter = 0;

  /** The base URL to give the client (OPENAI_BASE_URL). */
  baseUrl = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
    return this;
  }

  async close(): Promise<void> {
    for (const res of this.open) res.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** Resolves when the client next aborts a request: call it before causing the abort. */
  nextAbort(): Promise<void> {
    return new Promise((resolve) => this.abortWaiters.push(resolve));
  }

  reset(): void {
    this.reply = defaultReply;
    this.requests.length = 0;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error' } }));
      return;
    }
    let text = '';
    for await (const part of req) text += part;
    let body: ChatRequest;
    try {
      body = JSON.parse(text) as ChatRequest;
    } catch {
      return this.sendError(res, 400, 'invalid JSON body');
    }
    const recorded: RecordedRequest = { body, authorization: req.headers.authorization, receivedAt: performance.now(), aborted: false };
    this.requests.push(recorded);
    this.open.add(res);
    res.on('close', () => {
      this.open.delete(res);
      if (res.writableFinished) return;
      recorded.aborted = true;
      const waiters = this.abortWaiters;
      this.abortWaiters = [];
      for (const resolve of waiters) resolve();
    });
    if (recorded.authorization !== `Bearer ${FAKE_API_KEY}`) return this.sendError(res, 401, 'Incorrect API key provided');
    const reply = this.reply(body, recorded);
    if (reply.kind === 'error') return this.sendError(res, reply.status, reply.message ?? 'The server had an error');
    await this.stream(res, body, reply, recorded);
  }

  private sendError(res: ServerResponse, status: number, message: string): void {
    // retry-after-ms keeps the client's automatic retries quick
    res.writeHead(status, { 'content-type': 'application/json', 'retry-after-ms': '1' });
    res.end(JSON.stringify({ error: { message, type: 'server_error', param: null, code: null } }));
  }

  private async stream(
    res: ServerResponse,
    request: ChatRequest,
    reply: Exclude<FakeReply, { kind: 'error' }>,
    recorded: RecordedRequest,
  ): Promise<void> {
    if (reply.kind === 'raw') return this.streamRaw(res, reply);
    const id = `chatcmpl-${++this.counter}`;
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({
      id,
      object: 'chat.completion.chunk',
      created: Math.floor(Date.now() / 1000),
      model: request.model,
      system_fingerprint: null,
      choices,
      ...extra,
    });
    const send = (data: unknown) => {
      if (res.destroyed) return;
      recorded.firstChunkAt ??= performance.now();
      res.write(`data: ${JSON.stringify(data)}\n\n`);
    };
    const delta = (d: Record<string, unknown>, finish: string | null = null) =>
      chunk([{ index: 0, delta: d, logprobs: null, finish_reason: finish }]);

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    if (reply.kind === 'text') {
      if (reply.waitFor) await reply.waitFor;
      send(delta({ role: 'assistant', content: '' }));
      const start = performance.now();
      if (reply.recordChunks) recorded.chunkWrittenAt = [];
      for (const [i, content] of reply.chunks.entries()) {
        const wait = start + i * (reply.intervalMs ?? 0) - performance.now();
        if (i > 0 && reply.intervalMs && wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        if (i === reply.gate?.after) await reply.gate.open;
        send(delta({ content }));
        recorded.chunkWrittenAt?.push(performance.now());
      }
      if (reply.hold) return; // stays open until the client aborts or the server closes
      send(delta({}, 'stop'));
    } else {
      const calls = reply.kind === 'tool_call' ? [reply] : reply.calls;
      for (const [index, call] of calls.entries()) {
        const callId = call.id ?? `call_${this.counter}${index ? `_${index}` : ''}`;
        const opening = { index, id: callId, type: 'function', function: { name: call.name, arguments: '' } };
        send(delta({ ...(index === 0 && { role: 'assistant', content: null }), tool_calls: [opening] }));
        for (const args of call.argChunks ?? []) send(delta({ tool_calls: [{ index, function: { arguments: args } }] }));
      }
      send(delta({}, 'tool_calls'));
    }
    if (request.stream_options?.include_usage && reply.usage) send(chunk([], { usage: reply.usage }));
    if (!res.destroyed) res.end('data: [DONE]\n\n');
  }

  private async streamRaw(res: ServerResponse, reply: Extract<FakeReply, { kind: 'raw' }>): Promise<void> {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    for (const [i, piece] of reply.pieces.entries()) {
      if (i > 0 && reply.intervalMs) await new Promise((resolve) => setTimeout(resolve, reply.intervalMs));
      if (res.destroyed) return;
      res.write(piece);
    }
    res.end();
  }
}

export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  return new FakeOpenAI().start();
}
