// `cmd cleanup`: sessions nobody can use any more (expired) and webhook delivery log rows older
// than the cutoff.
import type { Database } from '@personal-automations/db';

export type CleanupCounts = { sessions: number; deliveries: number };

const DAY_MS = 24 * 3600 * 1000;
export const cutoffFor = (days: number, now = new Date()) => new Date(now.getTime() - days * DAY_MS);

const stale = (now: Date, cutoff: Date) => ({
  sessions: { expiresAt: { lt: now } },
  deliveries: { createdAt: { lt: cutoff } },
});

export async function countStale(db: Database, cutoff: Date, now = new Date()): Promise<CleanupCounts> {
  const where = stale(now, cutoff);
  const [sessions, deliveries] = await db.$transaction([db.session.count({ where: where.sessions }), db.webhookDelivery.count({ where: where.deliveries })]);
  return { sessions, deliveries };
}

/** Deletes both kinds in one transaction. */
export async function deleteStale(db: Database, cutoff: Date, now = new Date()): Promise<CleanupCounts> {
  const where = stale(now, cutoff);
  const [sessions, deliveries] = await db.$transaction([
    db.session.deleteMany({ where: where.sessions }),
    db.webhookDelivery.deleteMany({ where: where.deliveries }),
  ]);
  return { sessions: sessions.count, deliveries: deliveries.count };
}
