// Token usage (issue 18, point 3): each model request's reported prompt and completion tokens are
// added to the user's row of the UTC day and model, and read back by GET /usage (own) and
// GET /users/{user_id}/usage (admin), on REST and tRPC alike.
import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import { describe, expect, it } from 'vitest';
import { utcDay } from '@personal-automations/contracts';
import { agentUsageRecordFailures } from '@personal-automations/observability';
import { defaultReply } from '@personal-automations/testing/fake-openai';
import type { AppRouter } from '../src/index.ts';
import { type SignedUp, signUp } from './helpers.ts';
import { useAgentTestApp } from './usage-support.ts';

const { t, fake, open } = await useAgentTestApp({ AI_MODEL: 'usage-test-model' });

const getUsage = (user: SignedUp, query = '') => t.app.inject({ method: 'GET', url: `/api/v1/usage${query}`, headers: user.auth });
const trpc = (user: SignedUp) =>
  createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: `${t.baseUrl}/trpc`, headers: () => user.auth })] });

const today = () => utcDay(new Date());
const row = (prompt: number, completion: number, requests: number) => ({
  day: today(),
  model: 'usage-test-model',
  prompt_tokens: prompt,
  completion_tokens: completion,
  total_tokens: prompt + completion,
  requests,
});

describe('usage recorded from the model API usage figures', () => {
  it('a text turn and a tool turn add their prompt and completion tokens per request; GET /usage shows the rows and totals', async () => {
    const user = await signUp(t);
    const socket = await open(user);
    // the fake reports 12 + 6 for an echo; 20 + 5 for the tool call, then 30 + 8 for the answer after it
    expect((await socket.turn({ message: 'hello' })).at(-1)?.type).toBe('complete');
    expect((await socket.turn({ message: 'what time is it?' })).at(-1)?.type).toBe('complete');
    expect(fake.requests.every((request) => request.body.stream_options?.include_usage)).toBe(true);

    const res = await getUsage(user);
    expect(res.statusCode).toBe(200);
    const report = res.json();
    expect(report).toMatchObject({
      user_id: user.id,
      to: today(),
      days: [row(62, 19, 3)],
      totals: { prompt_tokens: 62, completion_tokens: 19, total_tokens: 81, requests: 3 },
      quota: { daily_tokens: null, used_today: 81, remaining_today: null },
    });
    expect(report.from).toBe(utcDay(new Date(Date.now() - 29 * 86_400_000)));
    // the same report on tRPC, typed
    expect(await trpc(user).usage.mine.query({})).toEqual(report);
    // the message keeps its own total, as before
    expect(
      await t.db.message.findFirst({ where: { conversation: { userId: user.id }, role: 'assistant' }, orderBy: { createdAt: 'asc' } }),
    ).toMatchObject({ tokensUsed: 18, modelName: 'usage-test-model' });
  });

  it('a request that reported its tokens counts even when its turn then fails or is cancelled (nothing of the answer saved)', async () => {
    const user = await signUp(t);
    const socket = await open(user);
    // the tool call's request reports 20 + 5; the request after it fails, or streams until cancelled
    fake.reply = (request, recorded) =>
      request.messages.at(-1)?.role === 'tool' ? { kind: 'error', status: 400 } : defaultReply(request, recorded);
    expect((await socket.turn({ message: 'what time is it?' })).at(-1)).toEqual({
      type: 'error',
      data: { message: 'The model request failed (HTTP 400)' },
    });
    fake.reply = (request, recorded) =>
      request.messages.at(-1)?.role === 'tool' ? { kind: 'text', chunks: ['partial '], hold: true } : defaultReply(request, recorded);
    socket.send({ message: 'and the time now?' });
    await socket.until('text_delta');
    socket.send({ type: 'cancel' });
    expect((await socket.until('error', 'complete')).at(-1)).toEqual({ type: 'error', data: { message: 'Cancelled' } });

    expect((await getUsage(user)).json().days).toEqual([row(40, 10, 2)]);
    expect(await t.db.message.count({ where: { conversation: { userId: user.id }, role: 'assistant' } })).toBe(0);
  });

  it('concurrent requests of one user (several sockets at once, direct writes) add up exactly', async () => {
    const user = await signUp(t);
    const [a, b, c] = [await open(user), await open(user), await open(user)];
    const turns = await Promise.all([a, b, c].map((socket, i) => socket.turn({ message: `at once ${i}` })));
    expect(turns.map((events) => events.at(-1)?.type)).toEqual(['complete', 'complete', 'complete']);
    const { usage } = t.app.platform.services;
    await Promise.all(
      Array.from({ length: 40 }, () => usage.record({ userId: user.id, model: 'usage-test-model', promptTokens: 2, completionTokens: 1 })),
    );
    expect((await getUsage(user)).json().days).toEqual([row(3 * 12 + 80, 3 * 6 + 40, 43)]);
  });

  it('rows are per day and model, oldest first, within the range asked for; other users are not counted', async () => {
    const user = await signUp(t);
    const other = await signUp(t);
    const { usage } = t.app.platform.services;
    const at = (day: string) => new Date(`${day}T12:00:00Z`);
    await usage.record({ userId: user.id, model: 'b-model', promptTokens: 5, completionTokens: 1 }, at('2025-03-02'));
    await usage.record({ userId: user.id, model: 'a-model', promptTokens: 7, completionTokens: 2 }, at('2025-03-02'));
    await usage.record({ userId: user.id, model: 'a-model', promptTokens: 1, completionTokens: 1 }, at('2025-03-01'));
    await usage.record({ userId: user.id, model: 'a-model', promptTokens: 100, completionTokens: 100 }, at('2025-03-04'));
    await usage.record({ userId: other.id, model: 'a-model', promptTokens: 1000, completionTokens: 1000 }, at('2025-03-02'));

    const report = (await getUsage(user, '?from=2025-03-01&to=2025-03-03')).json();
    expect(report.days.map((d: { day: string; model: string; total_tokens: number }) => [d.day, d.model, d.total_tokens])).toEqual([
      ['2025-03-01', 'a-model', 2],
      ['2025-03-02', 'a-model', 9],
      ['2025-03-02', 'b-model', 6],
    ]);
    expect(report).toMatchObject({
      from: '2025-03-01',
      to: '2025-03-03',
      totals: { prompt_tokens: 13, completion_tokens: 4, total_tokens: 17 },
    });
    // only `to`: the 30 days up to it
    expect((await getUsage(user, '?to=2025-03-01')).json()).toMatchObject({
      from: '2025-01-31',
      to: '2025-03-01',
      totals: { total_tokens: 2 },
    });
    // a day without usage is no row
    expect((await getUsage(user, '?from=2025-03-03&to=2025-03-03')).json()).toMatchObject({
      days: [],
      totals: { total_tokens: 0, requests: 0 },
    });
  });

  it('odd figures from a compatible server are recorded as whole, non-negative counts; a long model name is cut to the column', async () => {
    const user = await signUp(t);
    const { usage } = t.app.platform.services;
    await usage.record({ userId: user.id, model: 'm'.repeat(150), promptTokens: -5, completionTokens: 2.7 });
    await usage.record({ userId: user.id, model: 'm'.repeat(150), promptTokens: Number.NaN, completionTokens: 1 });
    expect((await getUsage(user)).json().days).toEqual([{ ...row(0, 3, 2), model: 'm'.repeat(100) }]);
  });

  it('a write that fails (the user is gone) is counted, not thrown: the turn it belongs to goes on', async () => {
    const { usage } = t.app.platform.services;
    const metrics = () => agentUsageRecordFailures.get();
    const before = (await metrics()).values[0]?.value ?? 0;
    await expect(
      usage.record({ userId: '3fa85f64-5717-4562-b3fc-2c963f66afa6', model: 'x', promptTokens: 1, completionTokens: 1 }),
    ).resolves.toBeUndefined();
    expect((await metrics()).values[0]?.value).toBe(before + 1);
  });
});

describe('bad ranges: 422, nothing read', () => {
  const detailOf = async (user: SignedUp, query: string) => {
    const res = await getUsage(user, query);
    expect(res.statusCode, query).toBe(422);
    return res.json().detail as { type: string; loc: string[]; msg: string }[];
  };

  it('a date that is not YYYY-MM-DD or not in the calendar: the `detail` list', async () => {
    const user = await signUp(t);
    for (const [query, field, input] of [
      ['?from=yesterday', 'from', 'yesterday'],
      ['?to=2025-02-30', 'to', '2025-02-30'],
      ['?from=2025-1-5', 'from', '2025-1-5'],
      ['?to=2025-01-05T00:00:00Z', 'to', '2025-01-05T00:00:00Z'],
    ])
      expect(await detailOf(user, query!)).toEqual([
        { type: 'value_error', loc: ['query', field], msg: 'Value error, Input should be a valid date in the format YYYY-MM-DD', input },
      ]);
  });

  it('from after to, and a range over 366 days (also when a default makes it so): the error envelope', async () => {
    const user = await signUp(t);
    const refused = async (query: string) => {
      const res = await getUsage(user, query);
      expect(res.statusCode, query).toBe(422);
      return res.json().error;
    };
    expect(await refused('?from=2025-03-02&to=2025-03-01')).toEqual({
      code: 'VALIDATION_ERROR',
      message: '`from` must not be after `to`',
      details: { from: '2025-03-02', to: '2025-03-01' },
    });
    expect((await getUsage(user, '?from=2024-01-01&to=2024-12-31')).statusCode).toBe(200); // 366 days, a leap year
    expect(await refused('?from=2024-01-01&to=2025-01-01')).toEqual({
      code: 'VALIDATION_ERROR',
      message: 'The range may span at most 366 days',
      details: { from: '2024-01-01', to: '2025-01-01', days: 367, max_days: 366 },
    });
    expect(await refused('?from=2000-01-01')).toMatchObject({ message: 'The range may span at most 366 days', details: { to: today() } });
    expect(await refused(`?from=${utcDay(new Date(Date.now() + 86_400_000))}`)).toMatchObject({ message: '`from` must not be after `to`' });
  });

  it('on tRPC: a bad range is UNPROCESSABLE_CONTENT, a malformed day BAD_REQUEST (as every procedure answers bad input there)', async () => {
    const user = await signUp(t);
    const error = await trpc(user)
      .usage.mine.query({ from: '2025-03-02', to: '2025-03-01' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as TRPCClientError<AppRouter>).data).toMatchObject({ httpStatus: 422, appCode: 'VALIDATION_ERROR' });
    const malformed = await trpc(user)
      .usage.mine.query({ from: 'not a day' })
      .catch((e: unknown) => e);
    expect((malformed as TRPCClientError<AppRouter>).data?.httpStatus).toBe(400);
  });
});

describe('GET /users/{user_id}/usage (admin)', () => {
  it("an admin reads any user's report; an unknown user is 404", async () => {
    const admin = await signUp(t, { role: 'admin' });
    const user = await signUp(t);
    await t.app.platform.services.usage.record({ userId: user.id, model: 'usage-test-model', promptTokens: 4, completionTokens: 3 });
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/users/${user.id}/usage`, headers: admin.auth });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ user_id: user.id, days: [row(4, 3, 1)], totals: { total_tokens: 7 } });
    expect(await trpc(admin).usage.ofUser.query({ user_id: user.id })).toEqual(res.json());

    const unknown = '3fa85f64-5717-4562-b3fc-2c963f66afa6';
    const missing = await t.app.inject({ method: 'GET', url: `/api/v1/users/${unknown}/usage`, headers: admin.auth });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'User not found', details: { user_id: unknown } } });
    for (const query of ['?from=2025-13-01', '?from=2025-03-02&to=2025-03-01']) {
      const bad = await t.app.inject({ method: 'GET', url: `/api/v1/users/${unknown}/usage${query}`, headers: admin.auth });
      expect(bad.statusCode, query).toBe(422);
    }
  });

  it('a non-admin gets 403 for any id (another user, their own, an unknown one, with bad input): nothing is told', async () => {
    const user = await signUp(t);
    const other = await signUp(t);
    await t.app.platform.services.usage.record({ userId: other.id, model: 'usage-test-model', promptTokens: 4, completionTokens: 3 });
    const forbidden = { error: { code: 'AUTHORIZATION_ERROR', message: "Role 'admin' required for this action", details: null } };
    const unknown = '3fa85f64-5717-4562-b3fc-2c963f66afa6';
    for (const path of [
      `${other.id}/usage`,
      `${user.id}/usage`,
      `${unknown}/usage`,
      `${other.id}/usage?from=bad`,
      `${other.id}/usage?from=2025-03-02&to=2025-03-01`,
    ]) {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/users/${path}`, headers: user.auth });
      expect(res.statusCode, path).toBe(403);
      expect(res.json(), path).toEqual(forbidden);
    }
    const error = await trpc(user)
      .usage.ofUser.query({ user_id: other.id })
      .catch((e: unknown) => e);
    expect((error as TRPCClientError<AppRouter>).data?.code).toBe('FORBIDDEN');
  });

  it('without credentials both routes are 401', async () => {
    for (const url of ['/api/v1/usage', `/api/v1/users/3fa85f64-5717-4562-b3fc-2c963f66afa6/usage`]) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(401);
      expect(res.json()).toEqual({ detail: 'Not authenticated' });
    }
  });
});
