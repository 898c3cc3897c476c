// The agent turn over HTTP: the tRPC subscription `agent.run` (SSE at /trpc, driven by the typed
// client) and its REST form (POST /api/v1/agent/run, SSE). Both run the WebSocket's turn: the same
// events, saved the same way; unsubscribing cancels; an event id sent back gets the rest of that
// turn instead of a new one, and only to its own user.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { type ApiOutputs, createClient } from '@personal-automations/client';
import type { AgentEvent } from '@personal-automations/contracts';
import { UNKNOWN_TURN } from '@personal-automations/services';
import { waitUntil } from '@personal-automations/testing';
import { wordChunks } from '@personal-automations/testing/fake-openai';
import { parseSse, postRun, type StreamedFrame, subscribeRun } from './agent-stream-support.ts';
import { type SignedUp, signUp } from './helpers.ts';
import { useAgentTestApp } from './usage-support.ts';

const { t, fake, open } = await useAgentTestApp();

const clientOf = (user: SignedUp) => createClient({ url: t.baseUrl, token: user.access_token });
const savedMessages = (conversationId: string) =>
  t.db.message.findMany({ where: { conversationId }, orderBy: { createdAt: 'asc' }, select: { role: true, content: true } });
const conversationOf = (frames: StreamedFrame[]) => {
  const created = frames.find((frame) => frame.data.type === 'conversation_created')?.data;
  return created?.type === 'conversation_created' ? created.data.conversation_id : undefined;
};
/** The events without the conversation's id, which differs from turn to turn. */
const withoutIds = (events: AgentEvent[]) => JSON.parse(JSON.stringify(events).replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<id>'));

describe('agent.run over tRPC (the typed client)', () => {
  it('streams the WebSocket turn: the same events, each with its id, typed; the turn is saved', async () => {
    const user = await signUp(t);
    const frames = await subscribeRun(clientOf(user), { message: 'hello over SSE' });
    expectTypeOf<ApiOutputs['agent']['run']>().not.toBeAny();
    const conversationId = conversationOf(frames)!;
    expect(frames.map((frame) => frame.id)).toEqual(frames.map((_, index) => `${conversationId}:${index + 1}`));
    expect(frames.at(-1)?.data).toEqual({ type: 'complete', data: { conversation_id: conversationId } });

    const socketTurn = await (await open(user)).turn({ message: 'hello over SSE' });
    expect(withoutIds(frames.map((frame) => frame.data))).toEqual(withoutIds(socketTurn));
    expect(await savedMessages(conversationId)).toEqual([
      { role: 'user', content: 'hello over SSE' },
      { role: 'assistant', content: 'You said: hello over SSE' },
    ]);
  });

  it('goes on with a conversation: its saved messages are the history the model gets', async () => {
    const user = await signUp(t);
    const api = clientOf(user);
    const conversationId = conversationOf(await subscribeRun(api, { message: 'first' }))!;
    const second = await subscribeRun(api, { message: 'second', conversation_id: conversationId });
    expect(second.some((frame) => frame.data.type === 'conversation_created')).toBe(false);
    expect(fake.requests.at(-1)?.body.messages.slice(1)).toEqual([
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 'You said: first' },
      { role: 'user', content: 'second' },
    ]);
    expect(await savedMessages(conversationId)).toHaveLength(4);
  });

  it('unsubscribing cancels the turn: the model request is aborted and nothing of the answer is saved', async () => {
    const user = await signUp(t);
    fake.reply = () => ({ kind: 'text', chunks: wordChunks('a long answer that never ends'), intervalMs: 20, hold: true });
    const aborted = fake.nextAbort();
    const frames: StreamedFrame[] = [];
    const subscription = clientOf(user).agent.run.subscribe({ message: 'go on forever' }, { onData: (frame) => frames.push(frame) });
    await waitUntil('the first text delta', () => frames.some((frame) => frame.data.type === 'text_delta'));
    subscription.unsubscribe();
    await aborted;

    // the kept turn ends as cancelled: its events, replayed, end with that error
    const conversationId = conversationOf(frames)!;
    const replay = parseSse(await (await postRun(t.baseUrl, user, { message: 'x' }, { 'last-event-id': `${conversationId}:0` })).text());
    expect(replay.at(-1)?.data).toEqual({ type: 'error', data: { message: 'Cancelled' } });
    expect(await savedMessages(conversationId)).toEqual([{ role: 'user', content: 'go on forever' }]);
  });
});

describe('POST /api/v1/agent/run (server-sent events)', () => {
  it('streams the turn as SSE with ids; Last-Event-ID gets the rest of that turn, not a new one', async () => {
    const user = await signUp(t);
    const response = await postRun(t.baseUrl, user, { message: 'plain http' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache, no-transform');
    const frames = parseSse(await response.text());
    const conversationId = conversationOf(frames)!;
    expect(frames.at(-1)?.data).toEqual({ type: 'complete', data: { conversation_id: conversationId } });
    const texts = frames.flatMap((frame) => (frame.data.type === 'text_delta' ? [frame.data.data.content] : []));
    expect(texts.join('')).toBe('You said: plain http');

    const requests = fake.requests.length;
    const rest = parseSse(
      await (await postRun(t.baseUrl, user, { message: 'plain http' }, { 'last-event-id': `${conversationId}:3` })).text(),
    );
    expect(rest).toEqual(frames.slice(3));
    expect(fake.requests.length).toBe(requests); // no second turn
  });

  it("an event id of another user's turn, or one that names no turn, gets one error event and nothing else", async () => {
    const owner = await signUp(t);
    const frames = parseSse(await (await postRun(t.baseUrl, owner, { message: 'private words' })).text());
    const conversationId = conversationOf(frames)!;
    const stranger = await signUp(t);
    for (const lastEventId of [`${conversationId}:0`, 'not-an-id', `${conversationId}:x`, ':5']) {
      const answer = await (await postRun(t.baseUrl, stranger, { message: 'x' }, { 'last-event-id': lastEventId })).text();
      expect(parseSse(answer).map((frame) => frame.data)).toEqual([{ type: 'error', data: { message: UNKNOWN_TURN } }]);
      expect(answer).not.toContain('private');
    }
  });

  it('refuses bad requests before streaming, in the contract shapes', async () => {
    const user = await signUp(t);
    const noAuth = await postRun(t.baseUrl, null, { message: 'hi' });
    expect([noAuth.status, await noAuth.json()]).toEqual([401, { detail: 'Not authenticated' }]);
    const empty = await postRun(t.baseUrl, user, { message: '   ' });
    expect([empty.status, await empty.json()]).toEqual([400, { error: { code: 'BAD_REQUEST', message: 'Empty message', details: null } }]);
    const missing = await postRun(t.baseUrl, user, {});
    expect(missing.status).toBe(422);
    expect((await missing.json()).detail[0]).toMatchObject({ loc: ['body', 'message'] });
    const notJson = await postRun(t.baseUrl, user, '{"message":');
    expect(notJson.status).toBe(422);
    const tooLong = await postRun(t.baseUrl, user, { message: 'x'.repeat(32_001) });
    expect(tooLong.status).toBe(422);
    expect(fake.requests).toHaveLength(0);
    expect(await t.db.conversation.count({ where: { userId: user.id } })).toBe(0);
  });

  it('closing the response cancels the turn', async () => {
    const user = await signUp(t);
    fake.reply = () => ({ kind: 'text', chunks: wordChunks('words and more words'), intervalMs: 20, hold: true });
    const aborted = fake.nextAbort();
    const reading = new AbortController();
    const response = await postRun(t.baseUrl, user, { message: 'then hang up' }, {}, reading.signal);
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes('text_delta')) text += new TextDecoder().decode((await reader.read()).value);
    reading.abort();
    await aborted;
    const conversationId = conversationOf(parseSse(text.slice(0, text.lastIndexOf('\n\n') + 2)))!;
    await waitUntil('the kept turn to end', async () => {
      const replay = await (await postRun(t.baseUrl, user, { message: 'x' }, { 'last-event-id': `${conversationId}:0` })).text();
      return parseSse(replay).at(-1)?.data.type === 'error';
    });
    expect(await savedMessages(conversationId)).toEqual([{ role: 'user', content: 'then hang up' }]);
  });
});

describe('examples/typed-client', () => {
  it('streams an answer with the typed client: the text as it comes, then the saved conversation', async () => {
    const main = fileURLToPath(new URL('../../../examples/typed-client/src/main.ts', import.meta.url));
    const env = { ...process.env, API_URL: t.baseUrl, EMAIL: `example-${Date.now()}@example.com`, PASSWORD: 'example client password' };
    const { stdout } = await promisify(execFile)(process.execPath, [main], { env, timeout: 60_000 });
    expect(stdout).toMatch(/agent: The tool says: \S+.*\ncomplete, saved in conversation [0-9a-f-]{36}/s);
  });
});
