// The stored tool approvals, on the real Redis (the waiting turn and the decision on two instances
// with connections of their own, as two API processes hold them) and in memory, through the same
// cases: the right user's fitting decisions reach the waiting turn, exactly once; anything else is
// refused and the turn waits on; the timeout rejects every request; a withdrawn request is gone.
// On Redis, decisions whose message was lost still reach the turn (after a resubscription, or at
// its timeout).
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { SettingsError } from '@personal-automations/config';
import type { AgentActionRequest, AgentDecision } from '@personal-automations/contracts';
import { isEmbeddedTestMode, useRedisClients, waitUntil } from '@personal-automations/testing';
import { approvalTools } from '../src/agent/approval-step.ts';
import { type AgentApprovals, MemoryApprovals, NO_APPROVAL_PENDING } from '../src/agent/approvals.ts';
import { RedisApprovals } from '../src/agent/approvals-redis.ts';

const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379/0';
/** A prefix of this run's own, removed at the end. */
const PREFIX = `approvals-test-${randomUUID()}:agent-approvals`;

const { client } = useRedisClients(PREFIX, REDIS_URL);

const REQUESTS: AgentActionRequest[] = [
  { id: 'call_1', tool_name: 'current_datetime', args: {} },
  { id: 'call_2', tool_name: 'send_email', args: { to: 'a@example.com' } },
];
const DECISIONS: AgentDecision[] = [
  { type: 'approve' },
  { type: 'edit', edited_action: { id: 'call_2', tool_name: 'send_email', args: { to: 'b@example.com' } } },
];

/** The turn's process and another one; the subscriber the turn's process opened (Redis only). */
type Pair = { turn: AgentApprovals; other: AgentApprovals; subscriber: () => Redis | undefined };
const kinds: [string, (timeoutMs: number) => Pair][] = [
  [
    'memory',
    (timeoutMs) => {
      const memory = new MemoryApprovals({ timeoutMs });
      return { turn: memory, other: memory, subscriber: () => undefined };
    },
  ],
];
if (!isEmbeddedTestMode()) {
  kinds.push([
    'redis',
    (timeoutMs) => {
      let subscriber: Redis | undefined;
      const openSubscriber = () => (subscriber = client());
      return {
        turn: new RedisApprovals({ redis: client(), openSubscriber, prefix: PREFIX, timeoutMs }),
        other: new RedisApprovals({ redis: client(), openSubscriber: client, prefix: PREFIX, timeoutMs }),
        subscriber: () => subscriber,
      };
    },
  ]);
}

/** A waiting request of alice's in a new conversation. */
function waiting(approvals: AgentApprovals, signal = new AbortController().signal) {
  const conversationId = randomUUID();
  const decided = approvals.request({ conversationId, userId: 'alice', requests: REQUESTS, signal });
  return { conversationId, decided };
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => 'accepted',
    (error: Error) => error.message,
  );

/** Decides once the request is stored (until then, there is nothing to decide). */
const decideWhenStored = (approvals: AgentApprovals, conversationId: string, decisions = DECISIONS) =>
  waitUntil('the request stored', async () => (await refusal(approvals.decide('alice', conversationId, decisions))) === 'accepted');

describe.each(kinds)('the tool approvals (%s)', (_kind, open) => {
  it("hands the user's decisions to the waiting turn, from another process", async () => {
    const { turn, other } = open(30_000);
    const { conversationId, decided } = waiting(turn);
    await decideWhenStored(other, conversationId);
    expect(await decided).toEqual(DECISIONS);
    // decided once: nothing is pending any more
    expect(await refusal(other.decide('alice', conversationId, DECISIONS))).toBe(NO_APPROVAL_PENDING);
  });

  it("refuses another user's decision, a wrong count and a stale edit; the turn waits on", async () => {
    const { turn, other } = open(30_000);
    const { conversationId, decided } = waiting(turn);
    await waitUntil('the request stored', async () => (await refusal(other.decide('alice', conversationId, []))) !== NO_APPROVAL_PENDING);
    // another user learns nothing, not even how many requests there are
    expect(await refusal(other.decide('mallory', conversationId, []))).toBe(NO_APPROVAL_PENDING);
    expect(await refusal(other.decide('mallory', conversationId, DECISIONS))).toBe(NO_APPROVAL_PENDING);
    expect(await refusal(other.decide('alice', conversationId, [{ type: 'approve' }]))).toBe(
      'Expected 2 decisions (one per action request), got 1',
    );
    const stale: AgentDecision = { type: 'edit', edited_action: { id: 'call_9', tool_name: 'send_email', args: {} } };
    expect(await refusal(other.decide('alice', conversationId, [{ type: 'approve' }, stale]))).toBe(
      'Decision 2: edited_action must keep the id and tool_name of action request 2 (call_2, send_email)',
    );
    expect(await refusal(other.decide('alice', randomUUID(), DECISIONS))).toBe(NO_APPROVAL_PENDING);
    await other.decide('alice', conversationId, DECISIONS);
    expect(await decided).toEqual(DECISIONS);
  });

  it('lets one of two decisions sent at once win', async () => {
    const { turn, other } = open(30_000);
    const { conversationId, decided } = waiting(turn);
    await waitUntil('the request stored', async () => (await refusal(other.decide('alice', conversationId, []))) !== NO_APPROVAL_PENDING);
    const rejectBoth: AgentDecision[] = [{ type: 'reject' }, { type: 'reject' }];
    const outcomes = await Promise.all([
      refusal(other.decide('alice', conversationId, DECISIONS)),
      refusal(turn.decide('alice', conversationId, rejectBoth)),
    ]);
    expect(outcomes.filter((outcome) => outcome === 'accepted')).toHaveLength(1);
    expect(outcomes).toContain(NO_APPROVAL_PENDING);
    expect(await decided).toEqual(outcomes[0] === 'accepted' ? DECISIONS : rejectBoth);
  });

  it('rejects every request when nobody answers in time; a late decision is refused', async () => {
    const { turn, other } = open(300);
    const { conversationId, decided } = waiting(turn);
    expect(await decided).toEqual([{ type: 'reject' }, { type: 'reject' }]);
    expect(await refusal(other.decide('alice', conversationId, DECISIONS))).toBe(NO_APPROVAL_PENDING);
  });

  it('withdraws the request when the turn stops waiting', async () => {
    const { turn, other } = open(30_000);
    const controller = new AbortController();
    const { conversationId, decided } = waiting(turn, controller.signal);
    await waitUntil('the request stored', async () => (await refusal(other.decide('alice', conversationId, []))) !== NO_APPROVAL_PENDING);
    controller.abort(new Error('cancelled'));
    expect(await refusal(decided)).toBe('cancelled');
    await waitUntil(
      'the request withdrawn',
      async () => (await refusal(other.decide('alice', conversationId, DECISIONS))) === NO_APPROVAL_PENDING,
    );
  });
});

describe.skipIf(isEmbeddedTestMode())('decisions whose message was lost (redis)', () => {
  /** Decides as `decide` does but publishes nothing: the message a subscriber that was away misses. */
  async function decideSilently(conversationId: string): Promise<void> {
    const redis = client();
    const key = `${PREFIX}:pending:${conversationId}`;
    const raw = await waitUntil('the request stored', () => redis.get(key));
    const { id } = JSON.parse(raw) as { id: string };
    await redis.multi().del(key).set(`${PREFIX}:decided:${id}`, JSON.stringify(DECISIONS), 'PX', 60_000).exec();
  }

  const admin = client();
  const subscribers = async () => ((await admin.pubsub('NUMSUB', PREFIX)) as [string, number])[1];
  /** A waiting request whose process has subscribed (and looked for decisions once). */
  async function subscribedWaiting(turn: AgentApprovals) {
    const before = await subscribers();
    const request = waiting(turn);
    await waitUntil('the turn to subscribe', async () => (await subscribers()) > before);
    return request;
  }

  // the timeout is far off: only the resubscription can hand the decisions over within the test
  it('reach the turn when its subscriber subscribes again', async () => {
    const pair = kinds[1]![1](600_000);
    const { conversationId, decided } = await subscribedWaiting(pair.turn);
    await decideSilently(conversationId);
    pair.subscriber()!.disconnect(true); // ioredis reconnects and subscribes again
    expect(await decided).toEqual(DECISIONS);
  });

  it('reach the turn at its timeout, instead of a rejection', async () => {
    const pair = kinds[1]![1](1500);
    const { conversationId, decided } = await subscribedWaiting(pair.turn);
    await decideSilently(conversationId);
    expect(await decided).toEqual(DECISIONS);
  });
});

describe('AGENT_APPROVAL_TOOLS', () => {
  it('may name only tools the agent has', () => {
    expect(approvalTools('all', ['current_datetime'])).toBe('all');
    expect(approvalTools(['current_datetime'], ['current_datetime'])).toEqual(['current_datetime']);
    expect(() => approvalTools(['current_datetime', 'curent_datetime'], ['current_datetime'])).toThrow(SettingsError);
    expect(() => approvalTools(['curent_datetime'], ['current_datetime'])).toThrow(
      "AGENT_APPROVAL_TOOLS: no such tool: curent_datetime (the agent's tools: current_datetime)",
    );
  });
});
