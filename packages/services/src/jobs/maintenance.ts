// What the scheduler's periodic jobs do: drop sessions nobody can use any more, and keep the
// delivery log and the relayed outbox rows from growing without bound.
import type { Database } from '@personal-automations/db';
import type { SessionService } from '../auth/sessions.ts';

const DAY_MS = 24 * 3600 * 1000;
const daysAgo = (days: number, now: Date) => new Date(now.getTime() - days * DAY_MS);

export type SessionCleanup = { inactiveRemoved: number };
/** What an operator's cleanup removes: expired sessions and delivery rows older than a cutoff. */
export type StaleCounts = { sessions: number; deliveries: number };
export type DeliveryPrune = { deliveriesRemoved: number; outboxEventsRemoved: number };

const staleRows = (cutoff: Date, now: Date) => ({
  sessions: { expiresAt: { lt: now } },
  deliveries: { createdAt: { lt: cutoff } },
});

export class MaintenanceService {
  private readonly db: Database;
  private readonly sessions: SessionService;
  constructor(db: Database, sessions: SessionService) {
    this.db = db;
    this.sessions = sessions;
  }

  /**
   * Removes expired sessions, and revoked or rotated ones last used more than `retentionDays`
   * ago. A rotated session is what detects a replayed refresh token, so the retention should
   * exceed the refresh token lifetime (30 days against 7 by default); after that the token has
   * expired anyway.
   */
  async cleanupSessions(retentionDays: number, now = new Date()): Promise<SessionCleanup> {
    await this.sessions.deleteExpiredSessions();
    const { count } = await this.db.session.deleteMany({ where: { isActive: false, lastUsedAt: { lt: daysAgo(retentionDays, now) } } });
    return { inactiveRemoved: count };
  }

  /** How many rows `deleteStale(cutoff)` would remove now. */
  async countStale(cutoff: Date, now = new Date()): Promise<StaleCounts> {
    const where = staleRows(cutoff, now);
    const [sessions, deliveries] = await Promise.all([
      this.db.session.count({ where: where.sessions }),
      this.db.webhookDelivery.count({ where: where.deliveries }),
    ]);
    return { sessions, deliveries };
  }

  /** Deletes expired sessions and delivery rows created before `cutoff`, in one transaction. */
  async deleteStale(cutoff: Date, now = new Date()): Promise<StaleCounts> {
    const where = staleRows(cutoff, now);
    const [sessions, deliveries] = await this.db.$transaction([
      this.db.session.deleteMany({ where: where.sessions }),
      this.db.webhookDelivery.deleteMany({ where: where.deliveries }),
    ]);
    return { sessions: sessions.count, deliveries: deliveries.count };
  }

  /** Deletes delivery rows, and outbox rows already relayed, older than `retentionDays`. Pending outbox rows stay. */
  async pruneDeliveries(retentionDays: number, now = new Date()): Promise<DeliveryPrune> {
    const cutoff = daysAgo(retentionDays, now);
    const [deliveries, outbox] = await this.db.$transaction([
      this.db.webhookDelivery.deleteMany({ where: { createdAt: { lt: cutoff } } }),
      this.db.outboxEvent.deleteMany({ where: { dispatchedAt: { lt: cutoff } } }),
    ]);
    return { deliveriesRemoved: deliveries.count, outboxEventsRemoved: outbox.count };
  }
}
