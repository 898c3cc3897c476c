// How many attempts may be in flight to one receiver (a URL's origin) from this process
// (WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT). The delivery worker runs many attempts at once so that
// fast receivers get thousands a second; without this bound, one slow or hanging receiver would
// take every one of those slots for its timeout and hold all the others back. An attempt over the
// bound waits for a slot of its receiver, briefly (a fast receiver frees one within milliseconds);
// when none frees in time the receiver is slow, and the attempt is not sent: its job goes back to
// the queue for a while, without counting as an attempt, and its worker slot goes to other jobs.

/** How long an attempt over the bound waits for a slot of its receiver before it is deferred. */
export const SLOT_WAIT_MS = 500;
/** The wait of a deferred job; it grows with the receiver's backlog. */
const BASE_DEFER_MS = 1000;
/** The longest wait: a receiver that speeds up again is not left idle for longer. */
const MAX_DEFER_MS = 60_000;

export type Release = () => void;
type Waiter = (release: Release | null) => void;
type Endpoint = { inFlight: number; waiters: Waiter[]; deferred: number };

export class EndpointLimits {
  readonly maxPerEndpoint: number;
  private readonly endpoints = new Map<string, Endpoint>();
  private readonly random: () => number;
  private readonly slotWaitMs: number;

  constructor(maxPerEndpoint: number, { random = Math.random, slotWaitMs = SLOT_WAIT_MS } = {}) {
    this.maxPerEndpoint = maxPerEndpoint;
    this.random = random;
    this.slotWaitMs = slotWaitMs;
  }

  /**
   * A slot for one attempt to `url`'s receiver, released by the returned function; null when the
   * receiver stayed at its bound for the whole slot wait.
   */
  acquire(url: string): Promise<Release | null> {
    const key = endpointOf(url);
    const endpoint = this.endpoint(key);
    if (endpoint.inFlight < this.maxPerEndpoint) {
      endpoint.inFlight++;
      return Promise.resolve(this.releaser(key, endpoint));
    }
    return new Promise((resolve) => {
      const waiter: Waiter = (release) => {
        clearTimeout(timer);
        resolve(release);
      };
      const timer = setTimeout(() => {
        endpoint.waiters.splice(endpoint.waiters.indexOf(waiter), 1);
        this.forget(key, endpoint);
        resolve(null);
      }, this.slotWaitMs);
      endpoint.waiters.push(waiter);
    });
  }

  /**
   * How long a job refused by acquire() waits before it is due again: a second or so, plus a
   * second per full bound of that receiver's jobs already waiting, so a large backlog for a slow
   * receiver comes back spread out (about its bound's worth a second) instead of cycling through
   * the queue all the time.
   */
  deferMs(url: string): number {
    const key = endpointOf(url);
    const endpoint = this.endpoint(key);
    const ms = Math.min(MAX_DEFER_MS, BASE_DEFER_MS * (1 + Math.floor(endpoint.deferred / this.maxPerEndpoint)));
    const delay = Math.round(ms * (0.75 + this.random() / 2));
    endpoint.deferred++;
    setTimeout(() => {
      endpoint.deferred--;
      this.forget(key, endpoint);
    }, delay).unref();
    return delay;
  }

  private endpoint(key: string): Endpoint {
    let endpoint = this.endpoints.get(key);
    if (!endpoint) {
      endpoint = { inFlight: 0, waiters: [], deferred: 0 };
      this.endpoints.set(key, endpoint);
    }
    return endpoint;
  }

  /** A finished attempt's slot goes to the longest waiter, else back to the count. */
  private releaser(key: string, endpoint: Endpoint): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = endpoint.waiters.shift();
      if (next) return next(this.releaser(key, endpoint));
      endpoint.inFlight--;
      this.forget(key, endpoint);
    };
  }

  private forget(key: string, endpoint: Endpoint): void {
    if (!endpoint.inFlight && !endpoint.waiters.length && !endpoint.deferred) this.endpoints.delete(key);
  }
}

/** Scheme, host and port: one receiver, whichever webhooks and paths point at it. */
function endpointOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
