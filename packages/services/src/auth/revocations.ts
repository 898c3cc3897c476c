// Session revocations as news: the database row is what refuses a revoked session's tokens, and
// this is how every API process hears of it at once, so an agent socket it holds on that session
// can be closed (Redis pub/sub with Redis, in-process listeners without).
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';

/** Which sessions were revoked: by id, or every session of a user (but one, when the caller keeps theirs). */
export type Revocation = { sessionIds: string[] } | { userId: string; exceptSessionId?: string };

export type RevocationListener = (revocation: Revocation) => void;

export interface RevocationBus {
  /** Tells every listener of every process; never throws (the database already holds the revocation). */
  publish(revocation: Revocation): Promise<void>;
  /** Returns the function that removes the listener. */
  subscribe(listener: RevocationListener): () => void;
  /**
   * Starts receiving what other processes publish; resolves once it does (or after a short
   * wait while Redis is unreachable). A process that holds sockets calls it at start-up, so no
   * revocation published before its first socket subscribed goes unheard.
   */
  listen(): Promise<void>;
  close(): Promise<void>;
}

/** Does this revocation end the session `sessionId` of `userId`? */
export function revokes(revocation: Revocation, userId: string, sessionId: string): boolean {
  if ('sessionIds' in revocation) return revocation.sessionIds.includes(sessionId);
  return revocation.userId === userId && revocation.exceptSessionId !== sessionId;
}

const EVENT = 'revocation';
/** How long start-up waits for the subscription while Redis does not answer (it goes on trying). */
const SUBSCRIBE_WAIT_MS = 2000;

/** The listeners of this process. */
export class LocalRevocationBus implements RevocationBus {
  protected readonly emitter = new EventEmitter().setMaxListeners(0);

  async publish(revocation: Revocation): Promise<void> {
    this.emitter.emit(EVENT, revocation);
  }

  subscribe(listener: RevocationListener): () => void {
    this.emitter.on(EVENT, listener);
    return () => this.emitter.off(EVENT, listener);
  }

  async listen(): Promise<void> {}

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}

type Envelope = { origin: string; revocation: Revocation };

/**
 * Every process on one Redis channel. A process tells its own listeners directly (also while
 * Redis is down) and ignores its own messages when they come back from the channel.
 */
export class RedisRevocationBus extends LocalRevocationBus {
  private readonly origin = randomUUID();
  private readonly publisher: Redis;
  private readonly openSubscriber: () => Redis;
  private readonly channel: string;
  private subscriber: Redis | undefined;
  private ready: Promise<unknown> = Promise.resolve();

  /**
   * `publisher` is shared and not closed here. The subscriber connection is opened by the first
   * `listen` or `subscribe` (only processes that hold sockets listen) and disconnected at close.
   */
  constructor({ publisher, openSubscriber, channel }: { publisher: Redis; openSubscriber: () => Redis; channel: string }) {
    super();
    this.publisher = publisher;
    this.openSubscriber = openSubscriber;
    this.channel = channel;
  }

  override listen(): Promise<void> {
    this.open();
    let timer: NodeJS.Timeout | undefined;
    const wait = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, SUBSCRIBE_WAIT_MS);
    });
    return Promise.race([this.ready.then(() => undefined), wait]).finally(() => clearTimeout(timer));
  }

  override subscribe(listener: RevocationListener): () => void {
    this.open();
    return super.subscribe(listener);
  }

  private open(): void {
    if (this.subscriber) return;
    const subscriber = this.openSubscriber();
    subscriber.on('message', (from: string, message: string) => {
      if (from !== this.channel) return;
      const envelope = parseEnvelope(message);
      if (envelope && envelope.origin !== this.origin) this.emitter.emit(EVENT, envelope.revocation);
    });
    // ioredis subscribes again by itself after a reconnection
    this.ready = subscriber.subscribe(this.channel).catch(() => undefined);
    this.subscriber = subscriber;
  }

  override async publish(revocation: Revocation): Promise<void> {
    await super.publish(revocation);
    const envelope: Envelope = { origin: this.origin, revocation };
    await this.publisher.publish(this.channel, JSON.stringify(envelope)).catch(() => undefined);
  }

  override async close(): Promise<void> {
    await super.close();
    this.subscriber?.disconnect();
  }
}

function parseEnvelope(message: string): Envelope | undefined {
  try {
    const value = JSON.parse(message) as Envelope;
    return typeof value?.origin === 'string' && value.revocation && typeof value.revocation === 'object' ? value : undefined;
  } catch {
    return undefined;
  }
}
