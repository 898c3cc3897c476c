// What one agent socket may spend (OWASP LLM "unbounded consumption"), each bound a setting:
// the history sent to the model (AGENT_MAX_HISTORY_MESSAGES, AGENT_MAX_HISTORY_CHARS), the
// length of every answer (AGENT_MAX_OUTPUT_TOKENS), the model requests of one turn
// (AGENT_MAX_MODEL_REQUESTS), an idle socket (AGENT_IDLE_TIMEOUT_SECONDS) and a peer that no
// longer answers pings (AGENT_PING_INTERVAL_SECONDS). The per-user counts are agent-ws-limits.test.ts.
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ChatMessage, FAKE_API_KEY, startFakeOpenAI } from '@personal-automations/testing/fake-openai';
import { buildApp } from '../src/app.ts';
import { AgentSocket, type Closed } from './agent-socket.ts';
import { type SignedUp, signUp, type TestApp, testSettings, useTestApp } from './helpers.ts';

const fake = await startFakeOpenAI();
afterAll(() => fake.close());
const AI = { OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: FAKE_API_KEY };
const t = useTestApp({
  ...AI,
  AGENT_MAX_HISTORY_MESSAGES: '4',
  AGENT_MAX_HISTORY_CHARS: '60',
  AGENT_MAX_OUTPUT_TOKENS: '321',
  AGENT_MAX_MODEL_REQUESTS: '3',
  AGENT_PING_INTERVAL_SECONDS: '0.25',
});
let user: SignedUp;
beforeAll(async () => {
  user = await signUp(t);
});
afterEach(() => fake.reset());

const sockets: AgentSocket[] = [];
async function open(server = t.baseUrl, token = user.access_token, options = {}): Promise<AgentSocket> {
  const socket = await AgentSocket.open(server, `?token=${token}`, {}, options);
  sockets.push(socket);
  return socket;
}
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.ws.terminate();
});

const SYSTEM = { role: 'system', content: 'You are a helpful assistant.' };
const sentToModel = () => fake.requests.at(-1)!.body.messages.map(({ role, content }: ChatMessage) => ({ role, content }));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** How long a test waits for a close at all, so a socket that never closes fails instead of hanging. */
const GIVE_UP_MS = 10_000;
function untilClosed(socket: AgentSocket): Promise<Closed> {
  const giveUp = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the socket was not closed')), GIVE_UP_MS).unref());
  return Promise.race([socket.closed, giveUp]);
}
const isOpen = (socket: AgentSocket) => socket.ws.readyState === socket.ws.OPEN;

describe('the history sent to the model', () => {
  const entry = (role: 'user' | 'assistant', content: string) => ({ role, content });

  it("a client's history: the newest AGENT_MAX_HISTORY_MESSAGES entries", async () => {
    const socket = await open();
    const history = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((content, i) => entry(i % 2 ? 'assistant' : 'user', content));
    expect((await socket.turn({ message: 'now', history })).at(-1)?.type).toBe('complete');
    expect(sentToModel()).toEqual([SYSTEM, ...history.slice(2), entry('user', 'now')]);
  });

  it("a client's history: at most AGENT_MAX_HISTORY_CHARS characters, the oldest dropped first", async () => {
    const socket = await open();
    const history = [entry('user', 'x'.repeat(30)), entry('assistant', 'y'.repeat(31)), entry('user', 'z'.repeat(29))];
    await socket.turn({ message: 'now', history });
    // 31 + 29 = 60 fit; the 30 before them would make 90
    expect(sentToModel()).toEqual([SYSTEM, ...history.slice(1), entry('user', 'now')]);
  });

  it("the connection's own history is bounded the same way", async () => {
    const socket = await open();
    for (const message of ['a1', 'a2', 'a3']) await socket.turn({ message });
    await socket.turn({ message: 'a4' });
    const pairs = (...messages: string[]) => messages.flatMap((m) => [entry('user', m), entry('assistant', `You said: ${m}`)]);
    expect(sentToModel()).toEqual([SYSTEM, ...pairs('a2', 'a3'), entry('user', 'a4')]);

    // a 50-character turn: its answer ("You said: " + 50 = 60) fits alone, the pair does not
    const long = 'l'.repeat(50);
    await socket.turn({ message: long });
    await socket.turn({ message: 'after' });
    expect(sentToModel()).toEqual([SYSTEM, entry('assistant', `You said: ${long}`), entry('user', 'after')]);
  });
});

describe('the model requests', () => {
  it('every request asks for at most AGENT_MAX_OUTPUT_TOKENS tokens (max_tokens), tool rounds included', async () => {
    const socket = await open();
    expect((await socket.turn({ message: 'What time is it?' })).at(-1)?.type).toBe('complete');
    expect(fake.requests.map((request) => request.body.max_tokens)).toEqual([321, 321]);
  });

  it('a turn makes at most AGENT_MAX_MODEL_REQUESTS requests', async () => {
    fake.reply = () => ({ kind: 'tool_call', name: 'current_datetime', argChunks: ['{}'] });
    const socket = await open();
    const events = await socket.turn({ message: 'loop' });
    expect(events.at(-1)).toEqual({ type: 'error', data: { message: 'The model kept calling tools: stopped after 3 requests' } });
    expect(fake.requests).toHaveLength(3);
    expect(isOpen(socket)).toBe(true);
  });
});

describe('ping', () => {
  it('a peer that does not answer pings is cut off', async () => {
    const silent = await open(t.baseUrl, user.access_token, { autoPong: false });
    let pings = 0;
    silent.ws.on('ping', () => pings++);
    // terminated without a close frame: the client sees 1006
    expect((await untilClosed(silent)).code).toBe(1006);
    expect(pings).toBeGreaterThanOrEqual(1);
  });

  it('a peer that answers stays connected, and is pinged every AGENT_PING_INTERVAL_SECONDS', async () => {
    const socket = await open();
    let pings = 0;
    socket.ws.on('ping', () => pings++);
    await sleep(1500);
    expect(pings).toBeGreaterThanOrEqual(2);
    expect(isOpen(socket)).toBe(true);
    expect((await socket.turn({ message: 'still here' })).at(-1)?.type).toBe('complete');
  });
});

describe('an idle socket', () => {
  const IDLE_SECONDS = 2;
  let idleApp: FastifyInstance;
  let server: string;
  let idleUser: SignedUp;
  beforeAll(async () => {
    idleApp = await buildApp({ settings: testSettings(t.databaseUrl, { ...AI, AGENT_IDLE_TIMEOUT_SECONDS: String(IDLE_SECONDS) }) });
    await idleApp.listen({ host: '127.0.0.1', port: 0 });
    server = `http://127.0.0.1:${(idleApp.server.address() as AddressInfo).port}`;
    idleUser = await signUp({ app: idleApp, db: idleApp.platform.db } as TestApp);
  });
  afterAll(() => idleApp?.close());

  it('with no frame and no turn for AGENT_IDLE_TIMEOUT_SECONDS is closed with 4008', async () => {
    const openedAt = performance.now();
    const socket = await open(server, idleUser.access_token);
    expect(await untilClosed(socket)).toEqual({ code: 4008, reason: 'Idle timeout' });
    // a timer never fires early; the upper end is left to the machine's load
    expect(performance.now() - openedAt).toBeGreaterThanOrEqual(IDLE_SECONDS * 1000 - 50);
    expect(socket.events).toEqual([]);
  });

  it('frames keep it open', async () => {
    const socket = await open(server, idleUser.access_token);
    for (let waited = 0; waited < 1.5 * IDLE_SECONDS * 1000; waited += 400) {
      socket.send({ message: '' }); // answered with an error event, so each frame is known to have arrived
      expect(await socket.next()).toEqual({ type: 'error', data: { message: 'Empty message' } });
      await sleep(400);
    }
    expect(isOpen(socket)).toBe(true);
  });

  it('a turn running longer than the timeout keeps it open; the clock starts again when the turn ends', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    fake.reply = () => ({ kind: 'text', chunks: ['slow'], waitFor: gate });
    const socket = await open(server, idleUser.access_token);
    socket.send({ message: 'take your time' });
    await socket.until('model_request_start');
    await sleep(1.5 * IDLE_SECONDS * 1000);
    expect(isOpen(socket)).toBe(true);
    release();
    await socket.until('complete');
    const endedAt = performance.now();
    expect(await untilClosed(socket)).toEqual({ code: 4008, reason: 'Idle timeout' });
    expect(performance.now() - endedAt).toBeGreaterThanOrEqual(IDLE_SECONDS * 1000 - 100);
  });
});
