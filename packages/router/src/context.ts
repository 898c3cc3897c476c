import type { Settings } from '@personal-automations/config';
import type { Platform } from '@personal-automations/platform';
import type { AccessClaims, OutageLogger, Services } from '@personal-automations/services';

/** What a procedure may set on the HTTP response besides its body (REST; tRPC reads the headers). */
export type ResponseControl = { status?: number; headers: Record<string, string> };

export type Context = {
  services: Services;
  settings: Settings;
  headers: Record<string, string | string[] | undefined>;
  ip: string;
  response: ResponseControl;
  /** The bearer token's claims if something earlier in the request verified them (the rate limiter). */
  accessClaims?: AccessClaims;
  /** The request's logger (pino's `setBindings` adds fields to its every later line). */
  log: RequestLogger;
};

/** Where the request comes from, as stored on a login's session. */
export const clientInfo = (ctx: Context) => ({
  ip: ctx.ip,
  userAgent: typeof ctx.headers['user-agent'] === 'string' ? ctx.headers['user-agent'] : null,
});

/** A request's logger: what the services log through, and pino's way to add fields to its lines. */
export type RequestLogger = OutageLogger & { error(obj: object, msg: string): void; setBindings?(bindings: Record<string, unknown>): void };

type RequestLike = { headers: Record<string, string | string[] | undefined>; ip: string; accessClaims?: AccessClaims; log: RequestLogger };

/** A call's context, from the process's platform and the HTTP request that carries the call (REST or tRPC). */
export function createContext({ services, settings }: Pick<Platform, 'services' | 'settings'>, req: RequestLike): Context {
  return { services, settings, headers: req.headers, ip: req.ip, response: { headers: {} }, accessClaims: req.accessClaims, log: req.log };
}
