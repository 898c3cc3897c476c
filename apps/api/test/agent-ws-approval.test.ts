// Human-approved tools on the agent socket: a call of a tool named in AGENT_APPROVAL_TOOLS pauses
// the turn with `tool_approval_required`; a `resume` frame's decisions (approve, reject, edit) let
// it go on with `resume_start` and the usual events. Bad frames, wrong counts and another user's
// turn get `error` events, and the paused turn waits on. (agent-ws-approval-resume.test.ts: the
// pause across reconnects, processes, the timeout and cancels.)
import { beforeAll, describe, expect, it } from 'vitest';
import { CANNOT_ASK_APPROVAL, NO_APPROVAL_PENDING, REJECTED_BY_USER, UNKNOWN_TURN } from '@personal-automations/services';
import { type ChatRequest, defaultReply, type FakeReply, type FakeToolCall } from '@personal-automations/testing/fake-openai';
import { approve, DATETIME, expectRejectedRest, pausedTurn, savedMessages, useApprovalTestApp } from './approval-support.ts';
import { embedded, signUp } from './helpers.ts';

const { t, fake, open, anotherProcess, user } = await useApprovalTestApp();
/** Another API process (the same app when embedded). */
let second: string;
beforeAll(async () => {
  second = embedded ? t.baseUrl : (await anotherProcess()).url;
});

/** The model asks for `calls` in one answer, then answers the tools' results as usual. */
const askFor = (...calls: FakeToolCall[]) => {
  fake.reply = (request: ChatRequest, recorded): FakeReply =>
    request.messages.at(-1)?.role === 'tool' ? defaultReply(request, recorded) : { kind: 'tool_calls', calls };
};
const toolMessages = (request = 1) => fake.requests[request]!.body.messages.filter((m) => m.role === 'tool');

describe('a call of a tool named in AGENT_APPROVAL_TOOLS', () => {
  it('pauses the turn; approved, the tool runs, the turn completes and is saved', async () => {
    const socket = await open();
    const { events, required, conversationId } = await pausedTurn(socket);
    const id = required.data.action_requests[0]!.id;
    expect(events.slice(3)).toEqual([
      { type: 'model_request_start', data: {} },
      { type: 'part_start', data: { index: 0, part_type: 'ToolCallPart' } },
      { type: 'tool_call_delta', data: { index: 0, args_delta: '{' } },
      { type: 'tool_call_delta', data: { index: 0, args_delta: '}' } },
      { type: 'call_tools_start', data: {} },
      {
        type: 'tool_approval_required',
        data: {
          action_requests: [{ id, tool_name: 'current_datetime', args: {} }],
          review_configs: [{ tool_name: 'current_datetime', allow_edit: true }],
        },
      },
    ]);
    expect(fake.requests).toHaveLength(1);

    socket.send(approve());
    const rest = await socket.until('complete', 'error');
    expect(rest.slice(0, 3)).toEqual([
      { type: 'resume_start', data: {} },
      { type: 'tool_call', data: { tool_name: 'current_datetime', args: '{}', tool_call_id: id } },
      { type: 'tool_result', data: { tool_call_id: id, content: expect.stringMatching(DATETIME) } },
    ]);
    expect(rest.at(-1)).toEqual({ type: 'complete', data: { conversation_id: conversationId } });
    // every event of the turn is kept, the pause included, its ids in order
    expect(socket.ids).toEqual(socket.events.map((_, i) => String(i + 1)));
    const [, assistant] = await savedMessages(t.db, conversationId);
    expect(assistant!.toolCalls).toEqual([
      expect.objectContaining({
        toolCallId: id,
        toolName: 'current_datetime',
        args: {},
        status: 'completed',
        result: expect.stringMatching(DATETIME),
      }),
    ]);
  });

  it('rejected, does not run: the model is told so, the call saved as rejected', async () => {
    const socket = await open();
    const { required, conversationId } = await pausedTurn(socket);
    const id = required.data.action_requests[0]!.id;
    socket.send({ type: 'resume', decisions: [{ type: 'reject' }] });
    const rest = await socket.until('complete', 'error');
    expectRejectedRest(rest, id, REJECTED_BY_USER);
    expect(toolMessages()).toEqual([{ role: 'tool', tool_call_id: id, content: REJECTED_BY_USER }]);
    // through REST, in the ToolCallRead contract
    const detail = await (await fetch(`${t.baseUrl}/api/v1/conversations/${conversationId}`, { headers: user().auth })).json();
    expect(detail.messages[1].tool_calls).toEqual([
      expect.objectContaining({ tool_call_id: id, tool_name: 'current_datetime', args: {}, status: 'rejected', result: REJECTED_BY_USER }),
    ]);
  });

  it('edited, runs with the arguments the user gave, and the model sees its call with them', async () => {
    const socket = await open();
    const { required, conversationId } = await pausedTurn(socket);
    const id = required.data.action_requests[0]!.id;
    const args = { timezone: 'UTC' };
    socket.send({ type: 'resume', decisions: [{ type: 'edit', edited_action: { id, tool_name: 'current_datetime', args } }] });
    const rest = await socket.until('complete', 'error');
    expect(rest[1]).toEqual({ type: 'tool_call', data: { tool_name: 'current_datetime', args: JSON.stringify(args), tool_call_id: id } });
    expect(rest[2]).toEqual({ type: 'tool_result', data: { tool_call_id: id, content: expect.stringMatching(DATETIME) } });
    expect(fake.requests[1]!.body.messages[2]!.tool_calls).toEqual([
      { id, type: 'function', function: { name: 'current_datetime', arguments: JSON.stringify(args) } },
    ]);
    const [, assistant] = await savedMessages(t.db, conversationId);
    expect(assistant!.toolCalls).toEqual([expect.objectContaining({ toolCallId: id, args, status: 'completed' })]);
  });

  it('is asked with the other calls needing approval in one event; the rest of the batch runs as it would', async () => {
    askFor(
      { name: 'current_datetime', argChunks: ['{}'], id: 'call_a' },
      { name: 'launch_rockets', argChunks: ['{"count": 3}'], id: 'call_b' },
      { name: 'current_datetime', argChunks: ['{"broken'], id: 'call_c' },
    );
    const socket = await open();
    const { required, conversationId } = await pausedTurn(socket, { message: 'go' });
    expect(required.data).toEqual({
      action_requests: [
        { id: 'call_a', tool_name: 'current_datetime', args: {} },
        // arguments that are no JSON object are shown as the model's text
        { id: 'call_c', tool_name: 'current_datetime', args: { _raw_args: '{"broken' } },
      ],
      review_configs: [{ tool_name: 'current_datetime', allow_edit: true }],
    });
    socket.send(approve(1));
    expect(await socket.next()).toEqual({ type: 'error', data: { message: 'Expected 2 decisions (one per action request), got 1' } });
    socket.send({ type: 'resume', decisions: [{ type: 'reject' }, { type: 'approve' }] });
    expect((await socket.until('complete', 'error')).at(-1)?.type).toBe('complete');
    const [, assistant] = await savedMessages(t.db, conversationId);
    expect(assistant!.toolCalls.map((c) => [c.toolCallId, c.status, c.result])).toEqual([
      ['call_a', 'rejected', REJECTED_BY_USER],
      ['call_b', 'failed', 'Unknown tool: launch_rockets'],
      ['call_c', 'failed', 'Invalid arguments for current_datetime: {"broken'],
    ]);
  });

  it('with AGENT_APPROVAL_TOOLS=all, every call is asked for, one review config per tool', async () => {
    const all = await anotherProcess({ AGENT_APPROVAL_TOOLS: 'all' });
    askFor(
      { name: 'current_datetime', argChunks: ['{}'], id: 'call_a' },
      { name: 'launch_rockets', argChunks: ['{"count": 3}'], id: 'call_b' },
    );
    const socket = await open(all.url, all.user);
    const { required } = await pausedTurn(socket, { message: 'go' });
    expect(required.data).toEqual({
      action_requests: [
        { id: 'call_a', tool_name: 'current_datetime', args: {} },
        { id: 'call_b', tool_name: 'launch_rockets', args: { count: 3 } },
      ],
      review_configs: [
        { tool_name: 'current_datetime', allow_edit: true },
        { tool_name: 'launch_rockets', allow_edit: true },
      ],
    });
    socket.send({ type: 'resume', decisions: [{ type: 'approve' }, { type: 'reject' }] });
    await socket.until('complete');
    expect(toolMessages().map((m) => m.content)).toEqual([expect.stringMatching(DATETIME), REJECTED_BY_USER]);
  });

  it('in a turn saved in no conversation, is rejected at once: there is nowhere to keep the question', async () => {
    const other = await signUp(t);
    const theirs = await (await fetch(`${t.baseUrl}/api/v1/conversations`, { method: 'POST', headers: other.auth })).json();
    const socket = await open();
    const events = await socket.turn({ message: 'What time is it?', conversation_id: theirs.id });
    expect(events.map((e) => e.type)).not.toContain('tool_approval_required');
    expect(events.find((e) => e.type === 'tool_result')?.data).toMatchObject({ content: CANNOT_ASK_APPROVAL });
    expect(events.at(-1)).toEqual({ type: 'complete', data: { conversation_id: null } });
  });
});

describe('a resume frame refused', () => {
  it('gets an error event outside the turn, which waits on: bad shapes, unknown decisions, wrong counts, stale edits', async () => {
    const socket = await open();
    socket.send(approve());
    expect(await socket.next()).toEqual({ type: 'error', data: { message: NO_APPROVAL_PENDING } });
    const { required, conversationId } = await pausedTurn(socket);
    const id = required.data.action_requests[0]!.id;
    const stale = { type: 'edit', edited_action: { id: 'call_other', tool_name: 'current_datetime', args: {} } };
    const cases: [unknown, string | RegExp][] = [
      [
        { type: 'resume', decisions: [{ type: 'maybe' }] },
        'Invalid resume frame: decisions.0.type: expected "approve", "reject" or "edit"',
      ],
      [{ type: 'resume', decisions: [{}] }, 'Invalid resume frame: decisions.0.type: expected "approve", "reject" or "edit"'],
      [{ type: 'resume' }, /^Invalid resume frame: decisions: /],
      [{ type: 'resume', decisions: [{ type: 'edit' }] }, /^Invalid resume frame: decisions\.0\.edited_action: /],
      [
        { type: 'resume', decisions: [{ type: 'edit', edited_action: { id, tool_name: 'x', args: [] } }] },
        /^Invalid resume frame: decisions\.0\.edited_action\.args: /,
      ],
      [{ type: 'resume', decisions: [] }, 'Expected 1 decision (one per action request), got 0'],
      [approve(2), 'Expected 1 decision (one per action request), got 2'],
      [
        { type: 'resume', decisions: [stale] },
        `Decision 1: edited_action must keep the id and tool_name of action request 1 (${id}, current_datetime)`,
      ],
      [{ ...approve(), conversation_id: crypto.randomUUID() }, NO_APPROVAL_PENDING],
    ];
    for (const [frame, message] of cases) {
      socket.send(frame);
      const event = await socket.next();
      const expected = typeof message === 'string' ? message : expect.stringMatching(message);
      expect(event, JSON.stringify(frame)).toEqual({ type: 'error', data: { message: expected } });
      // not one of the turn's events: a resume of the turn does not replay it
      expect(socket.ids.at(-1)).toBeUndefined();
    }
    expect(fake.requests).toHaveLength(1);
    socket.send({ ...approve(), conversation_id: conversationId });
    expect((await socket.until('complete', 'error')).at(-1)).toEqual({ type: 'complete', data: { conversation_id: conversationId } });
  });

  it("of another user's turn: the same answer as when nothing is pending, nothing of the turn sent, the turn unaffected", async () => {
    const owner = await open();
    const { required, conversationId } = await pausedTurn(owner);
    const intruder = await open(second, await signUp(t));
    for (const decisions of [[{ type: 'approve' }], []]) {
      intruder.send({ type: 'resume', conversation_id: conversationId, decisions });
      expect(await intruder.next()).toEqual({ type: 'error', data: { message: NO_APPROVAL_PENDING } });
    }
    intruder.send({ type: 'resume_stream', conversation_id: conversationId });
    expect(await intruder.next()).toEqual({ type: 'error', data: { message: UNKNOWN_TURN } });

    owner.send(approve());
    const rest = await owner.until('complete', 'error');
    expect(rest.slice(0, 2).map((e) => e.type)).toEqual(['resume_start', 'tool_call']);
    expect(rest.at(-1)?.type).toBe('complete');
    expect(intruder.events).toHaveLength(3);
    expect(JSON.stringify(intruder.events)).not.toContain(required.data.action_requests[0]!.id);
  });
});
