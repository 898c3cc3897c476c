// News about logins: the database row is what refuses a revoked session's tokens, and this is
// how every API process hears of it at once, so an agent socket it holds on that session can be
// closed and the validated logins it keeps in memory (login-cache.ts) dropped (Redis pub/sub
// with Redis, in-process listeners without). Besides revocations it carries `userChanged`: an
// account's details changed (role, email, ...), so a kept copy of it is stale.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';

/** Which sessions were revoked: by id, or every session of a user (but one, when the caller keeps theirs). */
export type Revocation = { sessionIds: string[] } | { userId: string; exceptSessionId?: string };

/** A revocation, or a change to an account that ends no session. */
export type SessionNews = Revocation | { userChanged: string };

export type RevocationListener = (news: SessionNews) => void;

export interface RevocationBus {
  /** Tells every listener of every process; never throws (the database already holds the change). */
  publish(news: SessionNews): Promise<void>;
  /** Returns the function that removes the listener. */
  subscribe(listener: RevocationListener): () => void;
  /**
   * Starts receiving what other processes publish; resolves once it does (or after a short
   * wait while Redis is unreachable). A process that holds sockets calls it at start-up, so no
   * revocation published before its first socket subscribed goes unheard.
   */
  listen(): Promise<void>;
  /**
   * Whether what other processes publish reaches this one now; `epoch` changes each time it stops
   * doing so, since news published in between is lost. A memory of logins is only kept while
   * live, and only from the current epoch.
   */
  readonly live: boolean;
  readonly epoch: number;
  close(): Promise<void>;
}

/** Does this news end the session `sessionId` of `userId`? */
export function revokes(news: SessionNews, userId: string, sessionId: string): boolean {
  if ('sessionIds' in news) return news.sessionIds.includes(sessionId);
  if ('userChanged' in news) return false;
  return news.userId === userId && news.exceptSessionId !== sessionId;
}

/** The account the news is about, when it is about all of one account's sessions. */
export const userOf = (news: SessionNews): string | undefined =>
  'userChanged' in news ? news.userChanged : 'userId' in news ? news.userId : undefined;

const EVENT = 'revocation';
/** How long start-up waits for the subscription while Redis does not answer (it goes on trying). */
const SUBSCRIBE_WAIT_MS = 2000;

/** The listeners of this process. */
export class LocalRevocationBus implements RevocationBus {
  protected readonly emitter = new EventEmitter().setMaxListeners(0);

  /** In one process, news is never lost. */
  get live(): boolean {
    return true;
  }

  get epoch(): number {
    return 0;
  }

  async publish(news: SessionNews): Promise<void> {
    this.emitter.emit(EVENT, news);
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

type Envelope = { origin: string; revocation: SessionNews };

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
  private subscribed = false;
  private lostCount = 0;

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

  /** Subscribed to the channel on a connection that is up. */
  override get live(): boolean {
    return this.subscribed;
  }

  override get epoch(): number {
    return this.lostCount;
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
    // A lost connection loses the news published meanwhile: a new epoch until subscribed again.
    subscriber.on('close', () => {
      if (this.subscribed) this.lostCount++;
      this.subscribed = false;
    });
    // ioredis subscribes again by itself after a reconnection; asking again tells when it is done
    subscriber.on('ready', () => {
      if (!this.subscribed) this.ready = this.joinChannel();
    });
    this.subscriber = subscriber;
    this.ready = this.joinChannel();
  }

  private joinChannel(): Promise<unknown> {
    const subscriber = this.subscriber;
    if (!subscriber) return Promise.resolve();
    return subscriber.subscribe(this.channel).then(
      () => {
        if (this.subscriber === subscriber && subscriber.status === 'ready') this.subscribed = true;
      },
      () => undefined,
    );
  }

  override async publish(news: SessionNews): Promise<void> {
    await super.publish(news);
    const envelope: Envelope = { origin: this.origin, revocation: news };
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
