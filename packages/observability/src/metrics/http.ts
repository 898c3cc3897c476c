// The HTTP surface's families: every request by route template (never the raw path, which holds
// ids), the requests in flight, every procedure call, the rate limiter's refusals and the logins.
import { Counter, Gauge, Histogram } from 'prom-client';
import { registry } from './registry.ts';

/** Seconds; most answers take milliseconds, a login (argon2) a few hundred. */
const REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const httpRequestDuration = new Histogram<'method' | 'route' | 'status_code'>({
  name: 'pa_http_request_duration_seconds',
  help: 'Time from a request arriving to its answer sent, by method, route template and status code',
  labelNames: ['method', 'route', 'status_code'],
  buckets: REQUEST_BUCKETS,
  registers: [registry],
});

export const httpRequestsInFlight = new Gauge({
  name: 'pa_http_requests_in_flight',
  help: 'Requests received and not yet answered (WebSocket upgrades are not counted)',
  registers: [registry],
});

export const trpcCalls = new Counter<'procedure' | 'type' | 'result'>({
  name: 'pa_trpc_calls_total',
  help: 'Procedure calls, on /trpc or through the REST bridge, by procedure, type (query, mutation) and result (ok or the tRPC error code)',
  labelNames: ['procedure', 'type', 'result'],
  registers: [registry],
});

export const rateLimitRefusals = new Counter<'policy'>({
  name: 'pa_rate_limit_refusals_total',
  help: 'Draws refused by a rate-limit budget, by policy (default, auth, agentTurns, loginFailures)',
  labelNames: ['policy'],
  registers: [registry],
});

export type LoginResult = 'success' | 'invalid_credentials' | 'throttled' | 'error';

export const logins = new Counter<'result'>({
  name: 'pa_auth_logins_total',
  help: 'Password logins by result: success, invalid_credentials, throttled (too many failures for the account), error',
  labelNames: ['result'],
  registers: [registry],
});

// The request path observes these on every request and call. Looking a child up by its label
// object makes prom-client build and hash a key from the object each time; the children are kept
// here by their values instead (as many as route templates × methods × statuses, or procedures ×
// results: bounded by the code, never by the traffic).
const requestChildren = new Map<string, ReturnType<typeof httpRequestDuration.labels>>();
const callChildren = new Map<string, ReturnType<typeof trpcCalls.labels>>();

/** One answered request, by method, route template and status. */
export function observeRequest(method: string, route: string, statusCode: number, seconds: number): void {
  const key = `${method} ${route} ${statusCode}`;
  let child = requestChildren.get(key);
  if (!child) {
    child = httpRequestDuration.labels({ method, route, status_code: statusCode });
    requestChildren.set(key, child);
  }
  child.observe(seconds);
}

/** One procedure call, by procedure, type and result (`ok` or the tRPC error code). */
export function countCall(procedure: string, type: string, result: string): void {
  const key = `${procedure} ${type} ${result}`;
  let child = callChildren.get(key);
  if (!child) {
    child = trpcCalls.labels({ procedure, type, result });
    callChildren.set(key, child);
  }
  child.inc();
}
