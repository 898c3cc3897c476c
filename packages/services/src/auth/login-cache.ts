// Validated logins kept in this process's memory, so an authenticated request needs no database
// round trip for its session and user. A kept login is dropped the moment news says its session
// was revoked or its account changed (the news reaches every API process, revocations.ts), and
// nothing is kept while that news could be missed: while the Redis subscription is down, and
// from before it went down. A login read from the database before news about it arrived is not
// kept either (the news wins over the read that raced it). Entries also lapse after the TTL,
// which bounds how long a change made outside the services (plain SQL) goes unseen.
import { LRUCache } from 'lru-cache';
import type { User as UserRow } from '@personal-automations/db';
import { type RevocationBus, type SessionNews, userOf } from './revocations.ts';

export type KeptLogin = { user: UserRow; sessionId: string; sessionExpiresAt: number };

type Entry = KeptLogin & { epoch: number };

export type LoginCacheOptions = {
  news: RevocationBus;
  /** At most this many logins (least recently used go first). */
  maxEntries: number;
  /** How long a login is kept; 0 keeps none. */
  ttlMs: number;
};

export class LoginCache {
  private readonly news: RevocationBus;
  private readonly logins: LRUCache<string, Entry> | undefined;
  /** When news last arrived about a session (`s:<id>`) or an account (`u:<id>`): reads started before it are not kept. */
  private readonly newsAt: LRUCache<string, number> | undefined;
  private readonly unsubscribe: () => void;

  constructor({ news, maxEntries, ttlMs }: LoginCacheOptions) {
    this.news = news;
    if (ttlMs > 0) {
      this.logins = new LRUCache({ max: maxEntries, ttl: ttlMs });
      this.newsAt = new LRUCache({ max: maxEntries, ttl: ttlMs });
    }
    this.unsubscribe = news.subscribe((item) => this.forget(item));
  }

  /** The kept login of a session, while it may be trusted. */
  get(sessionId: string): KeptLogin | undefined {
    const entry = this.logins?.get(sessionId);
    if (!entry) return undefined;
    if (!this.news.live || entry.epoch !== this.news.epoch || entry.sessionExpiresAt <= Date.now()) {
      this.logins?.delete(sessionId);
      return undefined;
    }
    return entry;
  }

  /** Keeps a login read from the database; `readStartedAt` is when that read began (Date.now()). */
  keep(login: KeptLogin, readStartedAt: number): void {
    if (!this.logins || !this.news.live) return;
    const heard = Math.max(this.newsAt?.get(`s:${login.sessionId}`) ?? 0, this.newsAt?.get(`u:${login.user.id}`) ?? 0);
    if (heard >= readStartedAt) return;
    this.logins.set(login.sessionId, { ...login, epoch: this.news.epoch });
  }

  close(): void {
    this.unsubscribe();
    this.logins?.clear();
  }

  private forget(news: SessionNews): void {
    if (!this.logins || !this.newsAt) return;
    const now = Date.now();
    if ('sessionIds' in news) {
      for (const id of news.sessionIds) {
        this.logins.delete(id);
        this.newsAt.set(`s:${id}`, now);
      }
      return;
    }
    const userId = userOf(news);
    if (!userId) return;
    this.newsAt.set(`u:${userId}`, now);
    const stale = [...this.logins.entries()].filter(([, entry]) => entry.user.id === userId).map(([sessionId]) => sessionId);
    for (const sessionId of stale) this.logins.delete(sessionId);
  }
}
