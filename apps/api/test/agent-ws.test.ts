// WS /api/v1/ws/agent end to end: a real WebSocket client, the API, the real `openai` client
// and a fake OpenAI-compatible server streaming real chat-completions SSE chunks.

import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AgentEvent, MAX_MESSAGE_CHARS } from '@personal-automations/contracts';
import { type ChatMessage, defaultReply, FAKE_API_KEY, startFakeOpenAI, wordChunks } from '@personal-automations/testing/fake-openai';
import { buildApp } from '../src/app.ts';
import { AgentSocket } from './agent-socket.ts';
import { type SignedUp, signUp, type TestApp, testSettings, useTestApp } from './helpers.ts';

const fake = await startFakeOpenAI();
afterAll(() => fake.close());
const MODEL = 'fake-model';
const t = useTestApp({ OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: FAKE_API_KEY, AI_MODEL: MODEL, AI_TEMPERATURE: '0.3' });
let user: SignedUp;
beforeAll(async () => {
  user = await signUp(t);
});
afterEach(() => fake.reset());

const SYSTEM = { role: 'system', content: 'You are a helpful assistant.' };
const DATETIME = /^Current date: \d{4}-\d\d-\d\d, Current time: \d\d:\d\d:\d\d$/;

const sockets: AgentSocket[] = [];
async function open(query = `?token=${user.access_token}`, headers: Record<string, string> = {}, server = t.baseUrl): Promise<AgentSocket> {
  const socket = await AgentSocket.open(server, query, headers);
  sockets.push(socket);
  return socket;
}
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.ws.terminate();
});

/**
 * Runs `body` against a second API instance (other settings or logger), with a user of its own
 * (in embedded mode the instance has its own database).
 */
async function withOtherApp(
  options: Omit<Parameters<typeof buildApp>[0], 'settings'> & { overrides?: Record<string, string> },
  body: (server: string, user: SignedUp) => Promise<void>,
) {
  const settings = testSettings(t.databaseUrl, { OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: FAKE_API_KEY, ...options.overrides });
  const app = await buildApp({ settings, logger: options.logger });
  try {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const otherUser = await signUp({ app, db: app.platform.db } as TestApp);
    await body(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, otherUser);
  } finally {
    await app.close();
  }
}

const types = (events: AgentEvent[]) => events.map((e) => e.type);
/** The conversation a turn's events name (conversation_created, else complete). */
const conversationOf = (events: AgentEvent[]): string => {
  const named = events.find((e) => e.type === 'conversation_created' || e.type === 'complete') as
    | { data: { conversation_id: string } }
    | undefined;
  if (!named?.data.conversation_id) throw new Error(`no conversation in ${JSON.stringify(types(events))}`);
  return named.data.conversation_id;
};
const textOf = (events: AgentEvent[]) => events.flatMap((e) => (e.type === 'text_delta' ? [e.data.content] : [])).join('');
const lastRequestMessages = () => fake.requests.at(-1)!.body.messages.map(({ role, content }: ChatMessage) => ({ role, content }));
const savedMessages = (conversationId: string) =>
  t.db.message.findMany({ where: { conversationId }, orderBy: { createdAt: 'asc' }, include: { toolCalls: true } });

describe('a text turn', () => {
  it('streams the events in the contract order, and the deltas add up to final_result.output', async () => {
    const socket = await open();
    const message = 'Tell me about the ocean 🌊 and the waves that roll in, please, in detail';
    const events = await socket.turn({ message });
    const conversationId = conversationOf(events);
    const answer = `You said: ${message}`;
    const [first, ...rest] = wordChunks(answer);
    expect(events).toEqual([
      { type: 'conversation_created', data: { conversation_id: expect.stringMatching(/^[0-9a-f-]{36}$/) } },
      { type: 'user_prompt', data: { content: message } },
      { type: 'user_prompt_processed', data: { prompt: message } },
      { type: 'model_request_start', data: {} },
      { type: 'part_start', data: { index: 0, part_type: 'TextPart' } },
      { type: 'text_delta', data: { index: 0, content: first } },
      { type: 'final_result_start', data: { tool_name: null } },
      ...rest.map((content) => ({ type: 'text_delta', data: { index: 0, content } })),
      { type: 'call_tools_start', data: {} },
      { type: 'final_result', data: { output: answer } },
      { type: 'complete', data: { conversation_id: conversationId } },
    ]);
    expect(textOf(events)).toBe(answer);

    // the model request: settings, system prompt, the tool, streaming with usage
    const request = fake.requests[0]!.body;
    expect(request).toMatchObject({ model: MODEL, temperature: 0.3, stream: true, stream_options: { include_usage: true } });
    expect(request.messages).toEqual([SYSTEM, { role: 'user', content: message }]);
    const parameters = { type: 'object', properties: {}, additionalProperties: false };
    expect(request.tools).toEqual([
      { type: 'function', function: { name: 'current_datetime', description: expect.any(String), parameters } },
    ]);

    // saved: the conversation (titled with the first 50 characters), both messages, the outbox event
    const conversation = await t.db.conversation.findUniqueOrThrow({ where: { id: conversationId } });
    expect(conversation).toMatchObject({ userId: user.id, title: Array.from(message).slice(0, 50).join('') });
    const saved = await savedMessages(conversationId);
    expect(saved.map((m) => [m.role, m.content, m.modelName, m.tokensUsed])).toEqual([
      ['user', message, null, null],
      ['assistant', answer, MODEL, 18],
    ]);
    expect(conversation.updatedAt).toEqual(saved[1]!.createdAt);
    const outbox = await t.db.outboxEvent.findMany({ where: { eventType: 'conversation.created' } });
    expect(outbox.map((e) => (e.payload as { id: string }).id)).toContain(conversationId);
  });

  it('keeps the connection history; a frame with `history` replaces it', async () => {
    const socket = await open();
    const first = await socket.turn({ message: 'first' });
    const conversationId = conversationOf(first);
    const second = await socket.turn({ message: 'second' });
    expect(types(second)).not.toContain('conversation_created');
    expect(second.at(-1)).toEqual({ type: 'complete', data: { conversation_id: conversationId } });
    expect(lastRequestMessages()).toEqual([
      SYSTEM,
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 'You said: first' },
      { role: 'user', content: 'second' },
    ]);

    const history = [
      { role: 'user', content: 'earlier' },
      { role: 'assistant', content: 'noted' },
    ];
    await socket.turn({ message: 'third', history });
    expect(lastRequestMessages()).toEqual([SYSTEM, ...history, { role: 'user', content: 'third' }]);
    await socket.turn({ message: 'fourth' });
    expect(lastRequestMessages()).toEqual([
      SYSTEM,
      ...history,
      { role: 'user', content: 'third' },
      { role: 'assistant', content: 'You said: third' },
      { role: 'user', content: 'fourth' },
    ]);
    expect(await t.db.message.count({ where: { conversationId } })).toBe(8);
  });
});

describe('a tool round', () => {
  it('runs current_datetime, sends the result back to the model, and saves the tool call', async () => {
    const socket = await open();
    const events = await socket.turn({ message: 'What time is it?' });
    const call = events.find((e) => e.type === 'tool_call') as Extract<AgentEvent, { type: 'tool_call' }>;
    const result = events.find((e) => e.type === 'tool_result') as Extract<AgentEvent, { type: 'tool_result' }>;
    expect(result.data.content).toMatch(DATETIME);
    const answer = `The tool says: ${result.data.content}`;
    const [first, ...rest] = wordChunks(answer);
    expect(events.slice(3)).toEqual([
      { type: 'model_request_start', data: {} },
      { type: 'part_start', data: { index: 0, part_type: 'ToolCallPart' } },
      { type: 'tool_call_delta', data: { index: 0, args_delta: '{' } },
      { type: 'tool_call_delta', data: { index: 0, args_delta: '}' } },
      { type: 'call_tools_start', data: {} },
      { type: 'tool_call', data: { tool_name: 'current_datetime', args: '{}', tool_call_id: call.data.tool_call_id } },
      { type: 'tool_result', data: { tool_call_id: call.data.tool_call_id, content: result.data.content } },
      { type: 'model_request_start', data: {} },
      { type: 'part_start', data: { index: 0, part_type: 'TextPart' } },
      { type: 'text_delta', data: { index: 0, content: first } },
      { type: 'final_result_start', data: { tool_name: null } },
      ...rest.map((content) => ({ type: 'text_delta', data: { index: 0, content } })),
      { type: 'call_tools_start', data: {} },
      { type: 'final_result', data: { output: answer } },
      { type: 'complete', data: { conversation_id: expect.any(String) } },
    ]);
    expect(textOf(events)).toBe(answer);

    // the second request carries the assistant's tool call and the tool's result
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1]!.body.messages.slice(2)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: call.data.tool_call_id, type: 'function', function: { name: 'current_datetime', arguments: '{}' } }],
      },
      { role: 'tool', tool_call_id: call.data.tool_call_id, content: result.data.content },
    ]);

    // saved with the assistant message (tokens of both requests), visible through REST
    const res = await fetch(`${t.baseUrl}/api/v1/conversations/${conversationOf(events)}`, { headers: user.auth });
    const body = await res.json();
    const assistant = body.messages[1];
    expect(assistant).toMatchObject({ role: 'assistant', content: answer, model_name: MODEL, tokens_used: 25 + 38 });
    const [id, when, duration] = [expect.any(String), expect.any(String), expect.any(Number)];
    expect(assistant.tool_calls).toEqual([
      {
        id,
        message_id: assistant.id,
        tool_call_id: call.data.tool_call_id,
        tool_name: 'current_datetime',
        args: {},
        result: result.data.content,
        status: 'completed',
        started_at: when,
        completed_at: when,
        duration_ms: duration,
      },
    ]);
    const tool = assistant.tool_calls[0];
    expect(Date.parse(tool.completed_at) - Date.parse(tool.started_at)).toBe(tool.duration_ms);
    expect(tool.duration_ms).toBeGreaterThanOrEqual(0);
  });

  it('an unknown tool is reported to the model and saved as failed', async () => {
    fake.reply = (request, recorded) =>
      request.messages.at(-1)?.role === 'tool'
        ? defaultReply(request, recorded)
        : { kind: 'tool_call', name: 'launch_rockets', argChunks: ['{"count": 3}'] };
    const socket = await open();
    const events = await socket.turn({ message: 'go' });
    expect(events.find((e) => e.type === 'tool_result')?.data).toMatchObject({ content: 'Unknown tool: launch_rockets' });
    expect(events.at(-1)?.type).toBe('complete');
    const [, assistant] = await savedMessages(conversationOf(events));
    expect(assistant!.toolCalls).toEqual([
      expect.objectContaining({ toolName: 'launch_rockets', status: 'failed', args: { count: 3 }, result: 'Unknown tool: launch_rockets' }),
    ]);
  });

  it('a model that never stops calling tools is stopped after 10 requests with an error event', async () => {
    fake.reply = () => ({ kind: 'tool_call', name: 'current_datetime', argChunks: ['{}'] });
    const socket = await open();
    const events = await socket.turn({ message: 'loop' });
    expect(events.at(-1)).toEqual({ type: 'error', data: { message: 'The model kept calling tools: stopped after 10 requests' } });
    expect(fake.requests).toHaveLength(10);
  });
});

describe('choosing the conversation', () => {
  it("uses the caller's conversation named in the frame; another user's or a malformed id is not saved to", async () => {
    const own = await (await fetch(`${t.baseUrl}/api/v1/conversations`, { method: 'POST', headers: user.auth })).json();
    const socket = await open();
    const events = await socket.turn({ message: 'into my conversation', conversation_id: own.id });
    expect(types(events)).not.toContain('conversation_created');
    expect(events.at(-1)).toEqual({ type: 'complete', data: { conversation_id: own.id } });
    expect((await savedMessages(own.id)).map((m) => m.role)).toEqual(['user', 'assistant']);

    const other = await signUp(t);
    const theirs = await (await fetch(`${t.baseUrl}/api/v1/conversations`, { method: 'POST', headers: other.auth })).json();
    for (const conversationId of [theirs.id, 'not-a-uuid']) {
      const turn = await socket.turn({ message: 'elsewhere', conversation_id: conversationId });
      expect(turn.at(-1)).toEqual({ type: 'complete', data: { conversation_id: null } });
    }
    expect(await t.db.message.count({ where: { conversationId: theirs.id } })).toBe(0);
    // the connection's conversation is still the caller's own
    expect((await socket.turn({ message: 'back home' })).at(-1)).toEqual({ type: 'complete', data: { conversation_id: own.id } });
  });
});

describe('errors keep the socket open', () => {
  it('empty, malformed, non-JSON and oversized frames get error events; the next turn works', async () => {
    const socket = await open();
    const cases: [unknown, string | RegExp][] = [
      [{}, 'Empty message'],
      [{ message: '' }, 'Empty message'],
      [{ message: null }, 'Empty message'],
      [{ message: '   ' }, 'Empty message'],
      [{ message: 5 }, /^Invalid message frame: message: /],
      [{ message: 'hi', history: [{ role: 'robot', content: 'x' }] }, /^Invalid message frame: history\.0\.role: /],
      ['not json', 'Invalid JSON'],
      [JSON.stringify({ message: 'x'.repeat(64 * 1024) }), 'Frame too large: at most 65536 bytes'],
    ];
    for (const [frame, message] of cases) {
      socket.send(frame);
      const event = await socket.next();
      expect(event.type, JSON.stringify(frame).slice(0, 80)).toBe('error');
      expect((event as Extract<AgentEvent, { type: 'error' }>).data.message).toMatch(message);
    }
    expect(fake.requests).toHaveLength(0);
    const big = 'y'.repeat(MAX_MESSAGE_CHARS); // the longest message, under the frame limit
    const events = await socket.turn({ message: big });
    expect(events.at(-1)?.type).toBe('complete');
    expect(textOf(events)).toBe(`You said: ${big}`);
  });

  it('a frame over 1 MiB closes the socket (1009) instead of being buffered', async () => {
    const socket = await open();
    socket.send(JSON.stringify({ message: 'z'.repeat(1024 * 1024 + 1) }));
    expect((await socket.closed).code).toBe(1009);
  });

  it('a second message during a turn gets an error event; the running turn carries on', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    fake.reply = () => ({ kind: 'text', chunks: wordChunks('slow answer'), waitFor: gate });
    const socket = await open();
    socket.send({ message: 'first' });
    await socket.until('model_request_start');
    socket.send({ message: 'second' });
    expect(await socket.next()).toEqual({
      type: 'error',
      data: { message: 'A response is already in progress: wait for it or cancel it' },
    });
    release();
    const rest = await socket.until('complete');
    expect(rest.find((e) => e.type === 'final_result')?.data).toEqual({ output: 'slow answer' });
    expect(fake.requests).toHaveLength(1);
  });

  it('an upstream 500 becomes an error event (no complete); the socket is still usable', async () => {
    fake.reply = () => ({ kind: 'error', status: 500 });
    const socket = await open();
    const failed = await socket.turn({ message: 'doomed' });
    expect(types(failed)).toEqual(['conversation_created', 'user_prompt', 'user_prompt_processed', 'model_request_start', 'error']);
    expect(failed.at(-1)).toEqual({ type: 'error', data: { message: 'The model request failed (HTTP 500)' } });
    const conversationId = conversationOf(failed);

    fake.reply = defaultReply;
    const next = await socket.turn({ message: 'again' });
    expect(next.at(-1)).toEqual({ type: 'complete', data: { conversation_id: conversationId } });
    // the failed turn is not part of the history; its user message was saved, no answer was
    expect(lastRequestMessages()).toEqual([SYSTEM, { role: 'user', content: 'again' }]);
    expect((await savedMessages(conversationId)).map((m) => [m.role, m.content])).toEqual([
      ['user', 'doomed'],
      ['user', 'again'],
      ['assistant', 'You said: again'],
    ]);
  });

  it('without OPENAI_API_KEY (and no OPENAI_BASE_URL) a turn ends with an error event saying so', async () => {
    await withOtherApp({ overrides: { OPENAI_API_KEY: '', OPENAI_BASE_URL: '' } }, async (server, otherUser) => {
      const socket = await open(`?token=${otherUser.access_token}`, {}, server);
      expect((await socket.turn({ message: 'hello?' })).at(-1)).toEqual({
        type: 'error',
        data: { message: 'The AI model is not configured: OPENAI_API_KEY is empty' },
      });
    });
    expect(fake.requests).toHaveLength(0);
  });
});

describe('cancel and disconnect', () => {
  const holdOpen = () => (fake.reply = () => ({ kind: 'text', chunks: ['Once upon a time '], hold: true }));

  it('{"type": "cancel"} aborts the upstream request; no answer is saved; the socket goes on', async () => {
    holdOpen();
    const socket = await open();
    socket.send({ message: 'Tell me a long story' });
    const started = await socket.until('final_result_start');
    const conversationId = conversationOf(started);
    const aborted = fake.nextAbort();
    socket.send({ type: 'cancel' });
    expect(await socket.next()).toEqual({ type: 'error', data: { message: 'Cancelled' } });
    await aborted;
    expect(fake.requests[0]!.aborted).toBe(true);

    fake.reply = defaultReply;
    const next = await socket.turn({ message: 'short one' });
    expect(types(next)[0]).toBe('user_prompt');
    expect(next.at(-1)).toEqual({ type: 'complete', data: { conversation_id: conversationId } });
    expect(lastRequestMessages()).toEqual([SYSTEM, { role: 'user', content: 'short one' }]);
    const saved = (await savedMessages(conversationId)).map((m) => [m.role, m.content]);
    expect(saved).toEqual([
      ['user', 'Tell me a long story'],
      ['user', 'short one'],
      ['assistant', 'You said: short one'],
    ]);
  });

  it('a cancel with no turn running is ignored', async () => {
    const socket = await open();
    socket.send({ type: 'cancel' });
    const events = await socket.turn({ message: 'still here' });
    expect(types(events)[0]).toBe('conversation_created');
    expect(events.at(-1)?.type).toBe('complete');
  });

  // by default such a turn runs on for a resume (agent-ws-resume.test.ts); this is the setting that turns that off
  it('a client that disconnects mid-stream aborts the upstream request (AGENT_CONTINUE_ON_DISCONNECT=false)', async () => {
    await withOtherApp({ overrides: { AGENT_CONTINUE_ON_DISCONNECT: 'false' } }, async (server, otherUser) => {
      holdOpen();
      const socket = await open(`?token=${otherUser.access_token}`, {}, server);
      socket.send({ message: 'Tell me another story' });
      await socket.until('final_result_start');
      const aborted = fake.nextAbort();
      socket.ws.close();
      await aborted;
      expect(fake.requests[0]!.aborted).toBe(true);
    });
  });
});

describe('authentication', () => {
  const refused = async (query: string, headers: Record<string, string> = {}) => {
    const socket = await open(query, headers);
    socket.send({ message: 'let me in' });
    const closed = await socket.closed;
    expect(socket.events).toEqual([]);
    return closed;
  };

  it('refuses a missing, invalid or refresh token with 4001 and the reason, before any event', async () => {
    expect(await refused('')).toEqual({ code: 4001, reason: 'Missing authentication token' });
    expect(await refused('?token=not-a-jwt')).toEqual({ code: 4001, reason: 'Invalid or expired token' });
    expect(await refused(`?token=${user.refresh_token}`)).toEqual({ code: 4001, reason: 'Invalid token type' });
    expect(fake.requests).toHaveLength(0);
  });

  it('refuses the access token of a revoked session and of a disabled user', async () => {
    const loggedOut = await signUp(t);
    const body = JSON.stringify({ refresh_token: loggedOut.refresh_token });
    expect(
      (await fetch(`${t.baseUrl}/api/v1/auth/logout`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status,
    ).toBe(204);
    expect(await refused(`?token=${loggedOut.access_token}`)).toEqual({ code: 4001, reason: 'Invalid or expired token' });

    const disabled = await signUp(t);
    await t.db.user.update({ where: { id: disabled.id }, data: { isActive: false } });
    expect(await refused(`?token=${disabled.access_token}`)).toEqual({ code: 4001, reason: 'User account is disabled' });
  });

  it('accepts the access_token cookie; ?token= is tried first', async () => {
    const cookie = { cookie: `theme=dark; access_token=${user.access_token}` };
    const socket = await open('', { ...cookie, origin: 'http://localhost:3000' });
    expect((await socket.turn({ message: 'cookie login' })).at(-1)?.type).toBe('complete');
    expect(await refused('?token=forged', cookie)).toEqual({ code: 4001, reason: 'Invalid or expired token' });
  });

  it('refuses a cookie sent from an origin outside CORS_ORIGINS (4003)', async () => {
    expect(await refused('', { cookie: `access_token=${user.access_token}`, origin: 'http://evil.example' })).toEqual({
      code: 4003,
      reason: 'Origin not allowed',
    });
  });

  it('a plain GET of the socket path is 404', async () => {
    const res = await fetch(`${t.baseUrl}/api/v1/ws/agent`, { headers: user.auth });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ detail: 'Not Found' });
  });

  it('runs a turn with logging off (a logger without bindings)', async () => {
    await withOtherApp({ logger: false }, async (server, otherUser) => {
      const socket = await open(`?token=${otherUser.access_token}`, {}, server);
      expect((await socket.turn({ message: 'hello' })).at(-1)?.type).toBe('complete');
    });
  });

  it('never logs the token from the query string', async () => {
    const lines: string[] = [];
    const stream = new Writable({ write: (chunk, _encoding, done) => done(void lines.push(String(chunk))) });
    let token = '';
    await withOtherApp({ logger: { level: 'info', stream } }, async (server, otherUser) => {
      token = otherUser.access_token;
      (await open(`?token=${token}&x=1`, {}, server)).ws.close();
    });
    const log = lines.join('');
    expect(log).toContain('/api/v1/ws/agent?token=[REDACTED]&x=1');
    expect(log).not.toContain(token);
  });
});
