// The turn log, on the real Redis (a writer and a reader as two API processes would hold them) and
// in memory, through the same cases: a follower gets the kept events after its id and then the
// live ones up to the turn's end; one that has the whole turn already is answered at once; another
// user's turn, or an unknown one, is `unknown` and sends nothing; a newer turn in the conversation
// replaces the older one. On Redis also: a follower on the writer's own process sees the writes
// queued before it; the expiry; a failed write logged once to its turn's logger.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AgentEvent } from '@personal-automations/contracts';
import { isEmbeddedTestMode, useRedisClients } from '@personal-automations/testing';
import { type LoggedEvent, MemoryTurnLog, type TurnLog } from '../src/agent/turn-log.ts';
import { RedisTurnLog, RUNNING_EXPIRY_STEP_MS, RUNNING_GRACE_MS } from '../src/agent/turn-log-redis.ts';

const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379/0';
/** A prefix of this run's own, removed at the end. */
const PREFIX = `turn-log-test-${randomUUID()}:agent-turns:`;
const log = { warn: () => {}, error: () => {} };

const { client } = useRedisClients(PREFIX, REDIS_URL);

const delta = (content: string): AgentEvent => ({ type: 'text_delta', data: { index: 0, content } });
const complete: AgentEvent = { type: 'complete', data: { conversation_id: null } };

/** Follows a turn to its end, collecting what it is sent. */
async function followAll(turns: TurnLog, conversationId: string, userId: string, afterId = 0) {
  const sent: LoggedEvent[] = [];
  const result = await turns.follow({ conversationId, userId, afterId, send: (e) => sent.push(e), signal: new AbortController().signal });
  return { result, sent };
}

/** A writer and a reader (on their own connections with Redis); `landed` resolves once the writer's appends so far are stored. */
type Pair = { writer: TurnLog; reader: TurnLog; landed: () => Promise<unknown> };
const kinds: [string, () => Pair][] = [['memory', () => ({ writer: memory, reader: memory, landed: async () => undefined })]];
const memory = new MemoryTurnLog({ ttlMs: 60_000 });
if (!isEmbeddedTestMode()) {
  kinds.push([
    'redis',
    () => {
      const writer = new RedisTurnLog({ redis: client(), openReader: client, prefix: PREFIX, ttlMs: 60_000 });
      return {
        writer,
        reader: new RedisTurnLog({ redis: client(), openReader: client, prefix: PREFIX, ttlMs: 60_000 }),
        // appends are not awaited: they go out at the end of the event loop's go
        landed: () => writer.written(),
      };
    },
  ]);
}

describe.each(kinds)('the turn log (%s)', (_kind, open) => {
  it('sends the kept events after the id, then the live ones, up to the end', async () => {
    const { writer, reader, landed } = open();
    const conversationId = randomUUID();
    const turn = writer.start(conversationId, 'alice', log);
    expect([turn.append(delta('a')), turn.append(delta('b'))]).toEqual(['1', '2']);
    await landed();
    const following = followAll(reader, conversationId, 'alice', 1);
    turn.append(delta('c'));
    turn.append(complete);
    expect(await following).toEqual({
      result: 'done',
      sent: [
        { id: '2', event: delta('b') },
        { id: '3', event: delta('c') },
        { id: '4', event: complete },
      ],
    });
  });

  it('answers a follower that has the whole turn at once, with nothing', async () => {
    const { writer, reader, landed } = open();
    const conversationId = randomUUID();
    const turn = writer.start(conversationId, 'alice', log);
    turn.append(delta('a'));
    turn.append(complete);
    await landed();
    expect(await followAll(reader, conversationId, 'alice', 2)).toEqual({ result: 'done', sent: [] });
  });

  it("is unknown for another user's turn and an unknown conversation", async () => {
    const { writer, reader, landed } = open();
    const conversationId = randomUUID();
    const turn = writer.start(conversationId, 'alice', log);
    turn.append(complete);
    await landed();
    expect((await followAll(reader, conversationId, 'alice')).result).toBe('done');
    expect(await followAll(reader, conversationId, 'mallory')).toEqual({ result: 'unknown', sent: [] });
    expect(await followAll(reader, randomUUID(), 'alice')).toEqual({ result: 'unknown', sent: [] });
  });

  it('keeps only the newest turn of a conversation', async () => {
    const { writer, reader, landed } = open();
    const conversationId = randomUUID();
    writer.start(conversationId, 'alice', log).append(delta('old'));
    const newer = writer.start(conversationId, 'alice', log);
    newer.append(delta('new'));
    newer.append(complete);
    await landed();
    expect((await followAll(reader, conversationId, 'alice')).sent.map((e) => e.event)).toEqual([delta('new'), complete]);
  });
});

describe.skipIf(isEmbeddedTestMode())('the turn log on Redis', () => {
  const TTL_MS = 60_000;
  const openLog = () => new RedisTurnLog({ redis: client(), openReader: client, prefix: PREFIX, ttlMs: TTL_MS });
  afterEach(() => vi.useRealTimers());

  it('lets a follower in the same process read the writes queued before it (the same turn of the event loop)', async () => {
    const turns = openLog();
    const conversationId = randomUUID();
    const turn = turns.start(conversationId, 'alice', log);
    turn.append(delta('a'));
    turn.append(complete);
    expect(await followAll(turns, conversationId, 'alice')).toEqual({
      result: 'done',
      sent: [
        { id: '1', event: delta('a') },
        { id: '2', event: complete },
      ],
    });
  });

  it('pushes a running turn’s expiry back once a step has passed, and sets the TTL at its end', async () => {
    vi.useFakeTimers({ toFake: ['Date'] }); // the queue's setImmediate stays real
    const turns = openLog();
    const conversationId = randomUUID();
    const key = PREFIX + conversationId;
    const redis = client();
    const turn = turns.start(conversationId, 'alice', log);
    await turns.written();
    expect(await redis.pttl(key)).toBeGreaterThan(TTL_MS + RUNNING_GRACE_MS - 10_000);
    // within a step, events do not touch the expiry (here lowered by hand to see it)
    await redis.pexpire(key, 30_000);
    turn.append(delta('a'));
    await turns.written();
    expect(await redis.pttl(key)).toBeLessThanOrEqual(30_000);
    // a step later, the next event pushes it back to the TTL plus the grace period
    vi.setSystemTime(Date.now() + RUNNING_EXPIRY_STEP_MS);
    turn.append(delta('b'));
    await turns.written();
    expect(await redis.pttl(key)).toBeGreaterThan(TTL_MS + RUNNING_GRACE_MS - 10_000);
    // the ending event, however soon, sets the TTL
    turn.append(complete);
    await turns.written();
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(TTL_MS - 10_000);
    expect(ttl).toBeLessThanOrEqual(TTL_MS);
  });

  it('logs a failed write once to the logger of its turn, not to the others written with it', async () => {
    const turns = openLog();
    const [broken, fine] = [randomUUID(), randomUUID()];
    const warned = { broken: [] as unknown[], fine: [] as unknown[] };
    const logger = (into: unknown[]) => ({ warn: (obj: object) => into.push(obj), error: () => {} });
    const brokenTurn = turns.start(broken, 'alice', logger(warned.broken));
    const fineTurn = turns.start(fine, 'bob', logger(warned.fine));
    await turns.written();
    await client().set(PREFIX + broken, 'not a stream'); // its XADDs now fail (WRONGTYPE)
    brokenTurn.append(delta('a'));
    fineTurn.append(delta('b'));
    brokenTurn.append(delta('c'));
    await turns.written();
    expect(warned.broken).toHaveLength(1);
    expect(warned.fine).toEqual([]);
    expect(await client().xrange(PREFIX + fine, '1-1', '1-1')).toEqual([['1-1', ['event', JSON.stringify(delta('b'))]]]);
  });
});

describe('the turn log in memory, bounded (AGENT_RESUME_MAX_TURNS)', () => {
  it('keeps at most maxTurns: the ended turns that started first go, running ones stay', async () => {
    const bounded = new MemoryTurnLog({ ttlMs: 60_000, maxTurns: 3 });
    const running = randomUUID();
    bounded.start(running, 'alice').append(delta('still running'));
    const ended = Array.from({ length: 5 }, () => randomUUID());
    for (const conversationId of ended) bounded.start(conversationId, 'alice').append(complete);
    expect(bounded.size).toBe(3);
    // the running turn started first and is kept; of the ended ones, the two newest
    expect((await followAll(bounded, ended[0]!, 'alice')).result).toBe('unknown');
    expect((await followAll(bounded, ended[2]!, 'alice')).result).toBe('unknown');
    expect(await followAll(bounded, ended[4]!, 'alice')).toEqual({ result: 'done', sent: [{ id: '1', event: complete }] });
    const following = followAll(bounded, running, 'alice');
    bounded.start(randomUUID(), 'bob');
    expect(bounded.size).toBe(3);
    await expect(Promise.race([following, new Promise((resolve) => setTimeout(() => resolve('still following'), 50))])).resolves.toBe(
      'still following',
    );
  });

  it('keeps running turns past the bound (the open sockets bound them)', () => {
    const bounded = new MemoryTurnLog({ ttlMs: 60_000, maxTurns: 2 });
    for (let i = 0; i < 4; i++) bounded.start(randomUUID(), 'alice').append(delta('running'));
    expect(bounded.size).toBe(4);
  });
});
