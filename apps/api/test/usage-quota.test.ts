// The daily token quota (AGENT_DAILY_TOKEN_QUOTA): checked before a turn starts, against the
// user's prompt + completion tokens of the UTC day. Over it, the turn is refused with an `error`
// event; nothing of it is saved, the model is not asked, and the socket stays usable.
import { describe, expect, it } from 'vitest';
import { type SignedUp, signUp } from './helpers.ts';
import { useAgentTestApp } from './usage-support.ts';

// The fake reports 12 + 6 tokens for each echoed message: two turns fit under 30 only in part.
const { t, fake, open } = await useAgentTestApp({ AGENT_DAILY_TOKEN_QUOTA: '30' });

const QUOTA_EVENT = { type: 'error', data: { message: 'Daily token quota exceeded' } };
const savedOf = async (user: SignedUp) => ({
  conversations: await t.db.conversation.count({ where: { userId: user.id } }),
  messages: await t.db.message.count({ where: { conversation: { userId: user.id } } }),
  usage: await t.db.tokenUsage.findMany({ where: { userId: user.id } }),
});

describe('AGENT_DAILY_TOKEN_QUOTA', () => {
  it('a turn that starts under the quota runs (and may end over it); the next is refused with an error event, nothing saved, the socket usable', async () => {
    const user = await signUp(t);
    const socket = await open(user);
    expect((await socket.turn({ message: 'one' })).at(-1)?.type).toBe('complete'); // 18 of 30
    expect((await socket.turn({ message: 'two' })).at(-1)?.type).toBe('complete'); // 36: started under, ended over
    const before = { saved: await savedOf(user), requests: fake.requests.length };

    expect(await socket.turn({ message: 'three' })).toEqual([QUOTA_EVENT]);
    expect({ saved: await savedOf(user), requests: fake.requests.length }).toEqual(before);

    // the socket goes on: it reads frames, and a cancel with no turn is no error
    socket.send({ type: 'cancel' });
    socket.send({ message: '' });
    expect(await socket.next()).toEqual({ type: 'error', data: { message: 'Empty message' } });

    // the quota is the user's, not the socket's: a new socket's first turn is refused too, and creates no conversation
    expect(await (await open(user)).turn({ message: 'elsewhere', conversation_id: null })).toEqual([QUOTA_EVENT]);
    expect({ saved: await savedOf(user), requests: fake.requests.length }).toEqual(before);

    // what GET /usage says of it
    const report = await t.app.inject({ method: 'GET', url: '/api/v1/usage', headers: user.auth });
    expect(report.json().quota).toMatchObject({ daily_tokens: 30, used_today: 36, remaining_today: 0 });

    // another user has a quota of their own
    const other = await signUp(t);
    expect((await (await open(other)).turn({ message: 'mine' })).at(-1)?.type).toBe('complete');
  });

  it('the refusal says when to try again (the next midnight UTC), and the quota starts afresh on the next UTC day', async () => {
    const user = await signUp(t);
    const { usage } = t.app.platform.services;
    await usage.record({ userId: user.id, model: 'any', promptTokens: 25, completionTokens: 5 });
    const today = new Date().toISOString().slice(0, 10);
    const lateToday = new Date(`${today}T23:59:30Z`);
    await expect(usage.admitTurn(user.id, lateToday)).rejects.toMatchObject({
      code: 'RATE_LIMIT_EXCEEDED',
      message: 'Daily token quota exceeded',
      retryAfter: 30,
    });
    await expect(usage.admitTurn(user.id, new Date(Date.parse(`${today}T00:00:00Z`) + 86_400_000))).resolves.toBeUndefined();
    // tokens of every model count together
    const mixed = await signUp(t);
    await usage.record({ userId: mixed.id, model: 'a', promptTokens: 10, completionTokens: 5 });
    await expect(usage.admitTurn(mixed.id)).resolves.toBeUndefined();
    await usage.record({ userId: mixed.id, model: 'b', promptTokens: 10, completionTokens: 5 });
    await expect(usage.admitTurn(mixed.id)).rejects.toMatchObject({ message: 'Daily token quota exceeded' });
  });
});
