// The per-client request budget drawn a few points at a time. Asking Redis on every request
// costs a round trip in front of the request's own work (and ~60 µs of CPU); instead a process
// takes a lease of up to `leaseSize` points in one draw and hands them out itself until they run
// out or the window ends. Counting stays strict: a process never hands out a point the shared
// counter did not give it, so all processes together never pass the budget. What a lease costs
// is fairness between processes: the points one process holds unspent (fewer than `leaseSize`)
// are not available to the others in that window, so a client spread over N processes may be
// refused up to N × (leaseSize - 1) points early. With one process the headers and the refusals
// are exactly those of drawing one point per request. A client known to be over its budget is
// refused here until the window ends, with no round trip at all.
import { LRUCache } from 'lru-cache';
import { type RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';

/** What one draw found (rate-limits.ts turns it into a Draw). */
export type LeaseOutcome = { allowed: boolean; remaining: number; msBeforeNext: number };

type Lease = {
  /** Points taken from the shared counter and not yet handed out. */
  left: number;
  /** What the shared counter had left after this lease was taken. */
  remainingAfter: number;
  /** When the window (and with it the lease) ends, epoch ms. */
  endsAt: number;
  /** The draw on the shared counter in flight for this key, if any. */
  pending?: Promise<void>;
};

export class LeasedBudget {
  private readonly limiter: RateLimiterAbstract;
  private readonly max: number;
  private readonly leaseSize: number;
  private readonly leases: LRUCache<string, Lease>;

  constructor(limiter: RateLimiterAbstract, { max, leaseSize, maxKeys }: { max: number; leaseSize: number; maxKeys: number }) {
    this.limiter = limiter;
    this.max = max;
    this.leaseSize = leaseSize;
    this.leases = new LRUCache({ max: maxKeys });
  }

  /** Takes `points` for `key`; throws when the shared counter cannot be asked. */
  async consume(key: string, points: number): Promise<LeaseOutcome> {
    for (;;) {
      const lease = this.leases.get(key);
      const now = Date.now();
      if (lease && lease.endsAt > now) {
        if (lease.left >= points) {
          lease.left -= points;
          return { allowed: true, remaining: lease.remainingAfter + lease.left, msBeforeNext: lease.endsAt - now };
        }
        if (lease.pending) {
          await lease.pending;
          continue;
        }
        // Spent, and the counter had nothing more: over budget until the window ends.
        if (lease.remainingAfter === 0) return { allowed: false, remaining: 0, msBeforeNext: lease.endsAt - now };
      }
      return this.takeLease(key, points, lease && lease.endsAt > now ? lease : undefined);
    }
  }

  /** Forgets what this process holds for `key`. */
  forget(key: string): void {
    this.leases.delete(key);
  }

  private async takeLease(key: string, points: number, current: Lease | undefined): Promise<LeaseOutcome> {
    const take = Math.max(points, this.leaseSize);
    let release = () => {};
    const pending = new Promise<void>((resolve) => (release = resolve));
    const placeholder: Lease = current ?? { left: 0, remainingAfter: 0, endsAt: Number.POSITIVE_INFINITY };
    placeholder.pending = pending;
    if (!current) this.leases.set(key, placeholder);
    try {
      const { granted, res } = await this.draw(key, take);
      const endsAt = Date.now() + res.msBeforeNext;
      const available = granted + (current?.left ?? 0);
      const allowed = available >= points;
      // A refused draw burns what it was granted, as a refused draw on the counter itself does
      // (the counter is past the maximum until the window ends).
      const lease: Lease = { left: allowed ? available - points : 0, remainingAfter: Math.max(0, res.remainingPoints), endsAt };
      this.leases.set(key, lease);
      return { allowed, remaining: allowed ? lease.remainingAfter + lease.left : 0, msBeforeNext: res.msBeforeNext };
    } catch (error) {
      this.leases.delete(key);
      throw error;
    } finally {
      placeholder.pending = undefined;
      release();
    }
  }

  /** `take` points from the shared counter, or as many of them as it still had. */
  private async draw(key: string, take: number): Promise<{ granted: number; res: RateLimiterRes }> {
    try {
      return { granted: take, res: await this.limiter.consume(key, take) };
    } catch (outcome) {
      if (!(outcome instanceof RateLimiterRes)) throw outcome;
      // The counter went past the maximum: what it had before this draw is still ours.
      const before = outcome.consumedPoints - take;
      return { granted: Math.max(0, Math.min(take, this.max - before)), res: outcome };
    }
  }
}
