// Server-side code calls the procedures in-process with createCaller (tRPC's createCallerFactory)
// and a context of its own making: the same guards, contracts and services as over HTTP.
import { describe, expect, it } from 'vitest';
import { createContext } from '@personal-automations/router';
import { createCaller } from '../src/index.ts';
import { signUp, useTestApp } from './helpers.ts';

const t = useTestApp();
const callerFor = (headers: Record<string, string> = {}) =>
  createCaller(createContext(t.app.platform, { headers, ip: '127.0.0.1', log: t.app.log }));

describe('createCaller', () => {
  it('runs a procedure with its guard and contracts', async () => {
    const user = await signUp(t);
    const caller = callerFor(user.auth);
    const item = await caller.items.create({ title: '  In-process  ' });
    expect(item).toMatchObject({ title: 'In-process', is_active: true });
    expect((await caller.auth.me()).id).toBe(user.id);
  });

  it('refuses a caller without credentials, and input that breaks the contract', async () => {
    await expect(callerFor().items.list({ page: 1, size: 10 })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    const user = await signUp(t);
    await expect(callerFor(user.auth).items.create({ title: 'x'.repeat(256) })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
