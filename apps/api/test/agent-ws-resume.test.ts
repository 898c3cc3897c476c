// Resumable turns: a turn saved in a conversation runs to its end when its socket drops
// (AGENT_CONTINUE_ON_DISCONNECT), its events carry ids and are kept (Redis streams; memory when
// embedded), and a `resume_stream` frame on a new socket, on another API process on the same
// PostgreSQL and Redis, gets the missed events and then the live rest. Embedded, the turns are kept
// in one process's memory, so there the resume lands on the same app.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AgentEvent } from '@personal-automations/contracts';
import { UNKNOWN_TURN } from '@personal-automations/services';
import { waitUntil } from '@personal-automations/testing';
import { FAKE_API_KEY, startFakeOpenAI, wordChunks } from '@personal-automations/testing/fake-openai';
import { buildApp } from '../src/app.ts';
import { AgentSocket } from './agent-socket.ts';
import { embedded, type SignedUp, signUp, type TestApp, testSettings, useTestApp } from './helpers.ts';
import { dropProjectKeys } from './rate-limit-support.ts';

const fake = await startFakeOpenAI();
afterAll(() => fake.close());
// A PROJECT_NAME of its own: the turn streams of this file, removed at the end.
const PROJECT_NAME = `agent-resume-test-${randomUUID()}`;
const SETTINGS = { OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: FAKE_API_KEY, PROJECT_NAME };
const t = useTestApp(SETTINGS);

const apps: FastifyInstance[] = [];
/** Another API process on the same database and Redis, listening. */
async function anotherProcess(overrides: Record<string, string> = {}): Promise<{ app: FastifyInstance; url: string }> {
  const app = await buildApp({ settings: testSettings(t.databaseUrl, { ...SETTINGS, ...overrides }) });
  apps.push(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}
let user: SignedUp;
/** Where a resume goes: the second process (the same app when embedded: memory is per process). */
let second: string;
beforeAll(async () => {
  user = await signUp(t);
  second = embedded ? t.baseUrl : (await anotherProcess()).url;
});
afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
  await dropProjectKeys(t, PROJECT_NAME);
});
afterEach(() => fake.reset());

const sockets: AgentSocket[] = [];
async function open(server = t.baseUrl, who = user): Promise<AgentSocket> {
  const socket = await AgentSocket.open(server, `?token=${who.access_token}`);
  sockets.push(socket);
  return socket;
}
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.ws.terminate();
});

const textOf = (events: AgentEvent[]) => events.flatMap((e) => (e.type === 'text_delta' ? [e.data.content] : [])).join('');
const conversationOf = (events: AgentEvent[]): string => {
  const created = events.find((e) => e.type === 'conversation_created');
  if (created?.type !== 'conversation_created') throw new Error('no conversation_created');
  return created.data.conversation_id;
};
const savedMessages = (conversationId: string) =>
  t.db.message.findMany({ where: { conversationId }, orderBy: { createdAt: 'asc' }, include: { toolCalls: true } });

/** A long answer held after its first `after` chunks until the returned `release` is called. */
function heldAnswer(after: number): { answer: string; release: () => void } {
  const answer = Array.from({ length: 40 }, (_, i) => `word${i} 🌊`).join(' ');
  let release = () => {};
  const open = new Promise<void>((resolve) => (release = resolve));
  fake.reply = () => ({ kind: 'text', chunks: wordChunks(answer), gate: { after, open } });
  return { answer, release };
}

describe('a turn whose socket drops', () => {
  it('runs on, and a resume on a second API process gets the missed and the live events: the text exact, the answer saved', async () => {
    const { answer, release } = heldAnswer(5);
    const first = await open();
    first.send({ message: 'tell me a long story' });
    // the first five chunks have arrived: the model is mid-answer, held there
    await waitUntil('five text deltas', () => first.events.filter((e) => e.type === 'text_delta').length === 5);
    const conversationId = conversationOf(first.events);
    const lastSeen = first.lastId()!;
    first.ws.terminate();
    await waitUntil('the server to see the socket close', () => t.app.websocketServer.clients.size === 0);

    const resumed = await open(second);
    resumed.send({ type: 'resume_stream', conversation_id: conversationId, last_event_id: lastSeen });
    release();
    const rest = await resumed.until('complete', 'error');
    expect(rest.at(-1)).toEqual({ type: 'complete', data: { conversation_id: conversationId } });
    // the ids go on from the last one seen, one by one: nothing missed, nothing twice
    expect(resumed.ids.map(Number)).toEqual(rest.map((_, i) => Number(lastSeen) + 1 + i));
    expect(textOf(first.events) + textOf(rest)).toBe(answer);
    expect(rest).toContainEqual({ type: 'final_result', data: { output: answer } });
    expect(fake.requests[0]!.aborted).toBe(false);

    const saved = await waitUntil('the answer saved', async () =>
      (await savedMessages(conversationId)).length === 2 ? savedMessages(conversationId) : false,
    );
    expect(saved.map((m) => [m.role, m.content])).toEqual([
      ['user', 'tell me a long story'],
      ['assistant', answer],
    ]);
  });

  it('is aborted, nothing of its answer saved, its log ended with Cancelled, when AGENT_CONTINUE_ON_DISCONNECT is false', async () => {
    const other = await anotherProcess({ AGENT_CONTINUE_ON_DISCONNECT: 'false' });
    const otherUser = await signUp({ app: other.app, db: other.app.platform.db } as TestApp);
    heldAnswer(2);
    const socket = await open(other.url, otherUser);
    socket.send({ message: 'tell me a long story' });
    await waitUntil('two text deltas', () => socket.events.filter((e) => e.type === 'text_delta').length === 2);
    const aborted = fake.nextAbort();
    socket.ws.terminate();
    await aborted;
    const conversationId = conversationOf(socket.events);
    // its log ends with a Cancelled error: a resume hears that it ended, and nothing more
    const resumed = await open(other.url, otherUser);
    resumed.send({ type: 'resume_stream', conversation_id: conversationId, last_event_id: socket.lastId() });
    expect(await resumed.until('complete', 'error')).toEqual([{ type: 'error', data: { message: 'Cancelled' } }]);
    const messages = await other.app.platform.db.message.findMany({ where: { conversationId } });
    expect(messages.map((m) => m.role)).toEqual(['user']);
  });
});

describe('the per-user bounds on a turn that outlived its socket', () => {
  it('keeps its socket slot until it ends: a socket over AGENT_MAX_SOCKETS_PER_USER is refused meanwhile', async () => {
    const other = await anotherProcess({ AGENT_MAX_SOCKETS_PER_USER: '1' });
    const otherUser = await signUp({ app: other.app, db: other.app.platform.db } as TestApp);
    const { release } = heldAnswer(2);
    const first = await open(other.url, otherUser);
    first.send({ message: 'tell me a long story' });
    await waitUntil('two text deltas', () => first.events.filter((e) => e.type === 'text_delta').length === 2);
    first.ws.terminate();
    await waitUntil('the server to see the socket close', () => other.app.websocketServer.clients.size === 0);
    const refused = await open(other.url, otherUser);
    expect((await refused.closed).code).toBe(4029);
    release();
    // the turn ends and gives its slot back: a socket is accepted again
    await waitUntil('a socket accepted', async () => {
      const socket = await open(other.url, otherUser);
      const outcome = await Promise.race([socket.closed.then(() => false), socket.turn({ message: 'hi' }).then(() => true)]);
      return outcome;
    });
  });
});

describe('resume_stream after the turn ended', () => {
  it('replays the events after last_event_id up to complete, with their ids; without one, all of them', async () => {
    const first = await open();
    first.send({ message: 'hello there' });
    const events = await first.until('complete');
    const conversationId = conversationOf(events);
    expect(first.ids).toEqual(events.map((_, i) => String(i + 1)));

    const resumed = await open(second);
    resumed.send({ type: 'resume_stream', conversation_id: conversationId, last_event_id: '3' });
    expect(await resumed.until('complete')).toEqual(events.slice(3));
    expect(resumed.ids).toEqual(first.ids.slice(3));

    const again = await open(second);
    again.send({ type: 'resume_stream', conversation_id: conversationId, last_event_id: null });
    expect(await again.until('complete')).toEqual(events);
    // the resumed turn is the socket's conversation now: the next message continues it
    again.send({ message: 'and then?' });
    expect((await again.until('complete', 'error')).at(-1)).toEqual({ type: 'complete', data: { conversation_id: conversationId } });
  });

  // embedded, a file's apps have databases of their own: the memory log expires by the same setting
  it.skipIf(embedded)('answers an expired turn with an error event (AGENT_RESUME_TTL_SECONDS)', async () => {
    const short = await anotherProcess({ AGENT_RESUME_TTL_SECONDS: '1' });
    const events = await (await open(short.url)).turn({ message: 'soon gone' });
    const conversationId = conversationOf(events);
    const probe = await open(second);
    await waitUntil('the turn to expire', async () => {
      probe.send({ type: 'resume_stream', conversation_id: conversationId });
      const [event] = (await probe.until('complete', 'error')).slice(-1);
      return event?.type === 'error' && event.data.message === UNKNOWN_TURN;
    });
  });
});

describe('resume_stream refused', () => {
  it("gives another user's turn an error event and nothing of it; the socket stays usable", async () => {
    const owner = await open();
    const events = await owner.turn({ message: 'my secret plans' });
    const intruder = await signUp(t);
    const socket = await open(second, intruder);
    socket.send({ type: 'resume_stream', conversation_id: conversationOf(events), last_event_id: '0' });
    expect(await socket.next()).toEqual({ type: 'error', data: { message: UNKNOWN_TURN } });
    const own = await socket.turn({ message: 'hi' });
    expect(own.at(-1)?.type).toBe('complete');
    expect(JSON.stringify(socket.events)).not.toContain('secret');
  });

  it('answers an unknown conversation and malformed frames with error events', async () => {
    const socket = await open(second);
    socket.send({ type: 'resume_stream', conversation_id: randomUUID() });
    expect(await socket.next()).toEqual({ type: 'error', data: { message: UNKNOWN_TURN } });
    socket.send({ type: 'resume_stream' });
    expect(await socket.next()).toEqual({
      type: 'error',
      data: { message: expect.stringMatching(/^Invalid resume_stream frame: conversation_id: /) },
    });
    socket.send({ type: 'resume_stream', conversation_id: randomUUID(), last_event_id: 'abc' });
    expect(await socket.next()).toEqual({
      type: 'error',
      data: { message: 'Invalid resume_stream frame: last_event_id: expected an event id' },
    });
  });
});
