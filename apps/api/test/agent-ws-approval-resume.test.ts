// A turn paused for tool approval outlives its socket: the question is stored, not held by the
// socket, so a client that reconnects to another API process hears it again (`resume_stream`)
// and answers there, and the turn goes on where it runs. Unanswered, it ends as a rejection after
// AGENT_APPROVAL_TIMEOUT_SECONDS; a cancel withdraws it; the idle clock leaves its socket open.
// Embedded, turns and approvals are kept in one process's memory, so there the reconnect lands on
// the same app.
import { beforeAll, describe, expect, it } from 'vitest';
import { NO_APPROVAL_PENDING, REJECTED_BY_USER } from '@personal-automations/services';
import { waitUntil } from '@personal-automations/testing';
import { approve, DATETIME, expectRejectedRest, pausedTurn, savedMessages, useApprovalTestApp } from './approval-support.ts';
import { embedded } from './helpers.ts';

const { t, fake, open, anotherProcess } = await useApprovalTestApp();
/** Where a reconnecting client lands: another API process (the same app when embedded). */
let second: string;
beforeAll(async () => {
  second = embedded ? t.baseUrl : (await anotherProcess()).url;
});

describe('a paused turn whose socket drops', () => {
  it('is answered from a socket on a second process after resume_stream replays the question; it finishes where it runs', async () => {
    const first = await open();
    const { required, conversationId } = await pausedTurn(first);
    const asked = first.lastId()!;
    first.ws.terminate();
    await waitUntil('the server to see the socket close', () => t.app.websocketServer.clients.size === 0);

    const resumed = await open(second);
    resumed.send({ type: 'resume_stream', conversation_id: conversationId, last_event_id: Number(asked) - 1 });
    expect(await resumed.next()).toEqual(required);
    expect(resumed.ids).toEqual([asked]);
    // no conversation_id: the one this socket's resume_stream follows
    resumed.send(approve());
    const rest = await resumed.until('complete', 'error');
    expect(rest.slice(0, 3)).toEqual([
      { type: 'resume_start', data: {} },
      { type: 'tool_call', data: expect.objectContaining({ tool_name: 'current_datetime' }) },
      { type: 'tool_result', data: expect.objectContaining({ content: expect.stringMatching(DATETIME) }) },
    ]);
    expect(rest.at(-1)).toEqual({ type: 'complete', data: { conversation_id: conversationId } });
    expect(fake.requests).toHaveLength(2);
    const saved = await waitUntil('the answer saved', async () => {
      const messages = await savedMessages(t.db, conversationId);
      return messages.length === 2 && messages;
    });
    expect(saved[1]).toMatchObject({ role: 'assistant', content: expect.stringMatching(/^The tool says: Current date: /) });
    expect(saved[1]!.toolCalls).toEqual([expect.objectContaining({ status: 'completed', result: expect.stringMatching(DATETIME) })]);
  });
});

describe('a paused turn nobody answers', () => {
  it('goes on as a rejection after AGENT_APPROVAL_TIMEOUT_SECONDS; a late answer is refused', async () => {
    const short = await anotherProcess({ AGENT_APPROVAL_TIMEOUT_SECONDS: '1' });
    const socket = await open(short.url, short.user);
    const { required, conversationId } = await pausedTurn(socket);
    const id = required.data.action_requests[0]!.id;
    const rest = await socket.until('complete', 'error');
    expectRejectedRest(rest, id, REJECTED_BY_USER);
    const [, assistant] = await savedMessages(short.app.platform.db, conversationId);
    expect(assistant!.toolCalls).toEqual([expect.objectContaining({ status: 'rejected', result: REJECTED_BY_USER })]);
    socket.send(approve());
    expect(await socket.next()).toEqual({ type: 'error', data: { message: NO_APPROVAL_PENDING } });
  });
});

describe('while a turn waits for approval', () => {
  it('a cancel ends it and withdraws the question: nothing runs, nothing of the answer is saved', async () => {
    const socket = await open();
    const { conversationId } = await pausedTurn(socket);
    socket.send({ type: 'cancel' });
    expect(await socket.next()).toEqual({ type: 'error', data: { message: 'Cancelled' } });
    socket.send({ ...approve(), conversation_id: conversationId });
    expect(await socket.next()).toEqual({ type: 'error', data: { message: NO_APPROVAL_PENDING } });
    expect(fake.requests).toHaveLength(1);
    expect((await savedMessages(t.db, conversationId)).map((m) => m.role)).toEqual(['user']);
  });

  it('the idle clock does not end the socket (a turn is running); it runs again once the turn ends', async () => {
    const idle = await anotherProcess({ AGENT_IDLE_TIMEOUT_SECONDS: '0.3' });
    const socket = await open(idle.url, idle.user);
    await pausedTurn(socket);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    socket.send(approve());
    expect((await socket.until('complete', 'error')).at(-1)?.type).toBe('complete');
    expect(await socket.closed).toEqual({ code: 4008, reason: 'Idle timeout' });
  });
});
