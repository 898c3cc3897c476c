// Backpressure on the agent socket: a client that reads slowly gets the answer's text_deltas merged
// into fewer frames once the socket is backed up, the text still exact; a client that does not read
// at all has its turn cancelled with an `error` event once what waits for it passes
// AGENT_MAX_BUFFERED_BYTES, the model request aborted and nothing of the answer saved, and its
// socket stays usable.
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AgentEvent } from '@personal-automations/contracts';
import { FAKE_API_KEY, startFakeOpenAI } from '@personal-automations/testing/fake-openai';
import { buildApp } from '../src/app.ts';
import { AgentSocket } from './agent-socket.ts';
import { type SignedUp, signUp, type TestApp, testSettings, useTestApp } from './helpers.ts';
import { waitUntil } from './webhooks-support.ts';

const fake = await startFakeOpenAI();
afterAll(() => fake.close());
const AI = { OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: FAKE_API_KEY };
/** Far more than the socket buffers of both ends hold, so frames must wait in the server's. */
const CHUNKS = Array.from({ length: 5000 }, (_, i) => `${String(i).padStart(6, '0')}${'x'.repeat(3994)}`);
const ANSWER = CHUNKS.join('');
// this app's cap holds the whole answer: the slow client gets everything
const t = useTestApp({ ...AI, AGENT_MAX_BUFFERED_BYTES: String(64 * 1024 * 1024) });
let user: SignedUp;
beforeAll(async () => {
  user = await signUp(t);
});
afterEach(() => fake.reset());

const sockets: AgentSocket[] = [];
async function open(server = t.baseUrl, token = user.access_token): Promise<AgentSocket> {
  const socket = await AgentSocket.open(server, `?token=${token}`);
  sockets.push(socket);
  return socket;
}
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.ws.terminate();
});

const deltas = (events: AgentEvent[]) => events.filter((e) => e.type === 'text_delta').map((e) => (e.data as { content: string }).content);

describe('a client that reads slowly', { timeout: 60_000 }, () => {
  it('gets the text_deltas merged into fewer frames while its socket is backed up; the text is exact, in order', async () => {
    fake.reply = () => ({ kind: 'text', chunks: CHUNKS });
    const socket = await open();
    socket.send({ message: 'a long answer, please' });
    await socket.until('model_request_start');
    socket.ws.pause();
    // the answer is saved once the API has read all of it and handed every delta to the socket
    const created = socket.events.find((e) => e.type === 'conversation_created') as { data: { conversation_id: string } };
    await waitUntil('the answer to be saved', () =>
      t.db.message.count({ where: { conversationId: created.data.conversation_id, role: 'assistant' } }),
    );
    socket.ws.resume();
    const events = await socket.until('complete', 'error');
    expect(events.at(-1)?.type).toBe('complete');
    const texts = deltas(events);
    expect(texts.join('')).toBe(ANSWER);
    expect(texts.length).toBeLessThan(CHUNKS.length);
    expect(events.find((e) => e.type === 'final_result')?.data).toEqual({ output: ANSWER });
  });
});

describe('a client that does not read (AGENT_MAX_BUFFERED_BYTES)', { timeout: 60_000 }, () => {
  let app: FastifyInstance;
  let server: string;
  let other: SignedUp;
  beforeAll(async () => {
    app = await buildApp({ settings: testSettings(t.databaseUrl, { ...AI, AGENT_MAX_BUFFERED_BYTES: String(64 * 1024) }) });
    await app.listen({ host: '127.0.0.1', port: 0 });
    server = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    other = await signUp({ app, db: app.platform.db } as TestApp);
  });
  afterAll(() => app?.close());

  it('has its turn cancelled with an error event past the cap: the model request is aborted, no answer saved, the socket usable', async () => {
    fake.reply = () => ({ kind: 'text', chunks: CHUNKS, hold: true });
    const aborted = fake.nextAbort();
    const socket = await open(server, other.access_token);
    socket.send({ message: 'never read' });
    await socket.until('model_request_start');
    socket.ws.pause();
    await aborted;
    socket.ws.resume();
    const events = await socket.until('complete', 'error');
    expect(events.at(-1)).toEqual({ type: 'error', data: { message: 'Cancelled: the client is not reading the answer fast enough' } });
    expect(ANSWER.startsWith(deltas(events).join(''))).toBe(true);
    const created = socket.events.find((e) => e.type === 'conversation_created') as { data: { conversation_id: string } };
    const saved = await app.platform.db.message.findMany({ where: { conversationId: created.data.conversation_id } });
    expect(saved.map((m) => m.role)).toEqual(['user']);

    fake.reply = () => ({ kind: 'text', chunks: ['fine', ' now'] });
    const next = await socket.turn({ message: 'and now?' });
    expect(next.at(-1)?.type).toBe('complete');
    expect(deltas(next).join('')).toBe('fine now');
  });
});
