import type { Settings } from '@personal-automations/config';
import type { AccessClaims, OutageLogger, Services } from '@personal-automations/services';

/** What a procedure may set on the HTTP response besides its body (REST only). */
export type ResponseControl = { status?: number; headers: Record<string, string> };

export type Context = {
  services: Services;
  settings: Settings;
  transport: 'rest' | 'trpc';
  requestId: string;
  headers: Record<string, string | string[] | undefined>;
  ip: string;
  response: ResponseControl;
  /** The bearer token's claims if something earlier in the request verified them (the rate limiter). */
  accessClaims?: AccessClaims;
  /** The request's logger. */
  log: OutageLogger;
};

export type ContextDeps = { services: Services; settings: Settings };

/** Where the request comes from, as stored on a login's session. */
export const clientInfo = (ctx: Context) => ({
  ip: ctx.ip,
  userAgent: typeof ctx.headers['user-agent'] === 'string' ? ctx.headers['user-agent'] : null,
});

type RequestLike = { id: string; headers: Record<string, string | string[] | undefined>; ip: string; accessClaims?: AccessClaims; log: OutageLogger };

export function createContext(deps: ContextDeps, transport: Context['transport'], req: RequestLike): Context {
  return { ...deps, transport, requestId: req.id, headers: req.headers, ip: req.ip, response: { headers: {} }, accessClaims: req.accessClaims, log: req.log };
}
