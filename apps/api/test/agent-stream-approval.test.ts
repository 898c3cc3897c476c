// Human-approved tools on the agent turn over HTTP: the stream pauses at `tool_approval_required`
// as a socket turn does, and `agent.resume` (tRPC; REST POST /api/v1/agent/resume) carries the
// decisions, from any process; bad decisions and another user's answer are refused (400) and the
// paused turn waits on.
import { describe, expect, it } from 'vitest';
import { type ApiClient, createClient } from '@personal-automations/client';
import { NO_APPROVAL_PENDING } from '@personal-automations/services';
import { waitUntil } from '@personal-automations/testing';
import type { StreamedFrame } from './agent-stream-support.ts';
import { DATETIME, useApprovalTestApp } from './approval-support.ts';
import { type SignedUp, signUp } from './helpers.ts';

const { t } = await useApprovalTestApp();

const clientOf = (user: SignedUp) => createClient({ url: t.baseUrl, token: user.access_token });
const resumeOverRest = (user: SignedUp, body: unknown) =>
  t.app.inject({
    method: 'POST',
    url: '/api/v1/agent/resume',
    headers: { ...user.auth, 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });

/** Starts a turn that asks for the gated tool; resolves once it is paused, with its frames so far and the end of the stream. */
async function pausedStream(api: ApiClient) {
  const frames: StreamedFrame[] = [];
  const ended = new Promise<void>((resolve, reject) =>
    api.agent.run.subscribe(
      { message: 'What time is it?' },
      { onData: (frame) => frames.push(frame), onError: reject, onComplete: resolve },
    ),
  );
  await waitUntil('the approval request', () => frames.some((frame) => frame.data.type === 'tool_approval_required'));
  const created = frames.find((frame) => frame.data.type === 'conversation_created')!.data;
  const conversationId = created.type === 'conversation_created' ? created.data.conversation_id : '';
  return { frames, ended, conversationId };
}

describe('a tool approval over the HTTP stream', () => {
  it('pauses the stream; agent.resume approves and the same stream goes on to complete', async () => {
    const user = await signUp(t);
    const api = clientOf(user);
    const { frames, ended, conversationId } = await pausedStream(api);
    expect(frames.at(-1)?.data).toMatchObject({
      type: 'tool_approval_required',
      data: { review_configs: [{ tool_name: 'current_datetime' }] },
    });

    await api.agent.resume.mutate({ conversation_id: conversationId, decisions: [{ type: 'approve' }] });
    await ended;
    const after = frames.slice(frames.findIndex((frame) => frame.data.type === 'tool_approval_required') + 1).map((frame) => frame.data);
    expect(after[0]).toEqual({ type: 'resume_start', data: {} });
    expect(after.find((event) => event.type === 'tool_result')).toMatchObject({ data: { content: expect.stringMatching(DATETIME) } });
    expect(after.at(-1)).toEqual({ type: 'complete', data: { conversation_id: conversationId } });
  });

  it("refuses wrong counts, another user's answer and no pending approval with 400; the turn waits on, then a REST answer rejects", async () => {
    const user = await signUp(t);
    const { frames, ended, conversationId } = await pausedStream(clientOf(user));

    const twice = await resumeOverRest(user, { conversation_id: conversationId, decisions: [{ type: 'approve' }, { type: 'approve' }] });
    expect([twice.statusCode, twice.json().error.message]).toEqual([400, expect.stringMatching(/1 .*2|2 .*1/)]);
    const stranger = await signUp(t);
    const foreign = await resumeOverRest(stranger, { conversation_id: conversationId, decisions: [{ type: 'approve' }] });
    expect([foreign.statusCode, foreign.json()]).toEqual([
      400,
      { error: { code: 'BAD_REQUEST', message: NO_APPROVAL_PENDING, details: null } },
    ]);
    const unknownType = await resumeOverRest(user, { conversation_id: conversationId, decisions: [{ type: 'maybe' }] });
    expect(unknownType.statusCode).toBe(422);
    expect(frames.at(-1)?.data.type).toBe('tool_approval_required'); // still paused

    const rejected = await resumeOverRest(user, { conversation_id: conversationId, decisions: [{ type: 'reject' }] });
    expect(rejected.statusCode).toBe(204);
    await ended;
    expect(frames.at(-1)?.data.type).toBe('complete');
    const again = await resumeOverRest(user, { conversation_id: conversationId, decisions: [{ type: 'approve' }] });
    expect([again.statusCode, again.json().error.message]).toEqual([400, NO_APPROVAL_PENDING]);
  });
});
