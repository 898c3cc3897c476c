// GET /conversations/{id} carries only the newest CONVERSATION_DETAIL_MAX_MESSAGES messages (here
// a small value), oldest first; GET /conversations/{id}/messages still pages through all of them.
import { beforeAll, describe, expect, it } from 'vitest';
import { type SignedUp, signUp, useTestApp } from './helpers.ts';
import { restAs } from './webhooks-support.ts';

const DETAIL_MAX = 3;
const t = useTestApp({ CONVERSATION_DETAIL_MAX_MESSAGES: String(DETAIL_MAX) });
let user: SignedUp;
beforeAll(async () => {
  user = await signUp(t);
});
const api = restAs(t, () => user);

const newConversation = async () => (await (await api('POST', '/conversations', { title: 'detail' })).json()).id as string;
const contents = (messages: { content: string }[]) => messages.map((m) => m.content);

describe('GET /conversations/{id}: the newest CONVERSATION_DETAIL_MAX_MESSAGES messages', () => {
  it(`with the setting at ${DETAIL_MAX}: the newest ${DETAIL_MAX} of 5, oldest first; GET /messages still pages through all 5`, async () => {
    const id = await newConversation();
    for (let n = 1; n <= 5; n++)
      expect((await api('POST', `/conversations/${id}/messages`, { role: 'user', content: `message ${n}` })).status).toBe(201);
    const detail = await (await api('GET', `/conversations/${id}`)).json();
    expect(contents(detail.messages)).toEqual(['message 3', 'message 4', 'message 5']);
    const all = await (await api('GET', `/conversations/${id}/messages?limit=500`)).json();
    expect(all.total).toBe(5);
    expect(contents(all.items)).toEqual(['message 1', 'message 2', 'message 3', 'message 4', 'message 5']);
  });

  it('a conversation with fewer messages than the bound shows them all', async () => {
    const id = await newConversation();
    await api('POST', `/conversations/${id}/messages`, { role: 'user', content: 'only one' });
    expect(contents((await (await api('GET', `/conversations/${id}`)).json()).messages)).toEqual(['only one']);
  });
});
