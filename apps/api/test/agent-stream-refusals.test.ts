// The bounds of the abuse issue on the agent turn over HTTP: the daily token quota and the sockets
// and streams per user refuse a turn before its first event (REST: 429 with the error envelope and
// Retry-After; tRPC: TOO_MANY_REQUESTS), nothing of it saved and the model not asked. And a
// silent stream is kept alive with `: ping` comments (AGENT_PING_INTERVAL_SECONDS).
import { describe, expect, it } from 'vitest';
import { type ApiClientError, createClient, TRPCClientError } from '@personal-automations/client';
import { wordChunks } from '@personal-automations/testing/fake-openai';
import { parseSse, postRun, subscribeRun } from './agent-stream-support.ts';
import { type SignedUp, signUp } from './helpers.ts';
import { useAgentTestApp } from './usage-support.ts';

const { t, fake, open } = await useAgentTestApp({
  AGENT_DAILY_TOKEN_QUOTA: '30',
  AGENT_MAX_SOCKETS_PER_USER: '1',
  AGENT_PING_INTERVAL_SECONDS: '0.2',
});

const clientOf = (user: SignedUp) => createClient({ url: t.baseUrl, token: user.access_token });
const nothingOf = async (user: SignedUp) => {
  expect(fake.requests).toHaveLength(0);
  expect(await t.db.conversation.count({ where: { userId: user.id } })).toBe(0);
};

async function trpcRefusal(user: SignedUp) {
  const error = await subscribeRun(clientOf(user), { message: 'hello' }).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(TRPCClientError);
  return error as ApiClientError;
}

describe('a refused turn over HTTP', () => {
  it('over the daily token quota: 429 with the envelope over REST, TOO_MANY_REQUESTS over tRPC', async () => {
    const user = await signUp(t);
    await t.app.platform.services.usage.record({ userId: user.id, model: 'any', promptTokens: 25, completionTokens: 5 });
    const response = await postRun(t.baseUrl, user, { message: 'hello' });
    expect(response.status).toBe(429);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await response.json()).toEqual({ error: { code: 'RATE_LIMIT_EXCEEDED', message: 'Daily token quota exceeded', details: null } });

    const error = await trpcRefusal(user);
    expect([error.message, error.data?.code, error.data?.httpStatus]).toEqual(['Daily token quota exceeded', 'TOO_MANY_REQUESTS', 429]);
    await nothingOf(user);
  });

  it('while the user holds the most agent sockets allowed: a stream takes a place in the same count', async () => {
    const user = await signUp(t);
    const socket = await open(user); // the one place (AGENT_MAX_SOCKETS_PER_USER=1)
    const response = await postRun(t.baseUrl, user, { message: 'hello' });
    expect(response.status).toBe(429);
    expect((await response.json()).error.message).toBe(
      'Too many open agent sockets and streams: at most 1 per user; close one and try again',
    );
    expect((await trpcRefusal(user)).data?.code).toBe('TOO_MANY_REQUESTS');
    await nothingOf(user);

    // with the socket closed, the place is free again (the slot is given back as the socket goes)
    socket.ws.close();
    await socket.closed;
    const frames = await subscribeRun(clientOf(user), { message: 'now' });
    expect(frames.at(-1)?.data.type).toBe('complete');
  });
});

describe('a silent stream', () => {
  it('gets a `: ping` comment while the model is silent, and then the rest of the answer, exact', async () => {
    const user = await signUp(t);
    let resume = () => {};
    const open = new Promise((resolve) => (resume = () => resolve(undefined)));
    fake.reply = () => ({ kind: 'text', chunks: wordChunks('first then the rest'), gate: { after: 1, open } });
    const response = await postRun(t.baseUrl, user, { message: 'wait for it' });
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes(': ping\n\n')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain('"text_delta"');
    resume();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += new TextDecoder().decode(chunk.value);
    const frames = parseSse(text);
    const texts = frames.flatMap((frame) => (frame.data.type === 'text_delta' ? [frame.data.data.content] : []));
    expect(texts.join('')).toBe('first then the rest');
    expect(frames.at(-1)?.data.type).toBe('complete');
  });
});
