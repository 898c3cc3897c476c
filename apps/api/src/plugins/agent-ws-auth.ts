// Who is opening the agent socket: the access token from `?token=` or the `access_token`
// cookie, checked exactly as REST checks a bearer token. Also keeps that token out of the logs.

import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Settings } from '@personal-automations/config';
import { cookieValue } from '@personal-automations/router';
import { AuthenticationError, type Services, type SocketLogin } from '@personal-automations/services';

/**
 * Close code for a refused socket, sent before any event; also for a socket whose login ends while
 * it is open. 4001 is the code the frontend's chat view expects for a refused login
 * (docs/compatibility.md).
 */
export const AUTH_FAILED_CLOSE_CODE = 4001;
/** Close code for a cookie-authenticated socket opened from an origin outside CORS_ORIGINS. */
export const ORIGIN_REFUSED_CLOSE_CODE = 4003;
export const TOKEN_COOKIE = 'access_token';

export type SocketAuth = { ok: true; login: SocketLogin } | { ok: false; code: number; reason: string };

/** `?token=` first, then the cookie (what the Next.js frontend uses). */
export function socketToken(request: FastifyRequest): { token: string; fromCookie: boolean } | undefined {
  const query = (request.query ?? {}) as Record<string, unknown>;
  const fromQuery = [query.token].flat().find((value): value is string => typeof value === 'string' && value !== '');
  if (fromQuery) return { token: fromQuery, fromCookie: false };
  const fromCookie = cookieValue(request.headers.cookie, TOKEN_COOKIE);
  return fromCookie ? { token: fromCookie, fromCookie: true } : undefined;
}

/**
 * A browser sends cookies with a WebSocket handshake whatever page opened it, so a cookie only
 * counts from an origin the API serves (CORS_ORIGINS); clients that send no Origin are not browsers.
 */
const originAllowed = (origin: string | undefined, settings: Settings): boolean =>
  origin === undefined || settings.CORS_ORIGINS.includes('*') || settings.CORS_ORIGINS.includes(origin);

/**
 * The same checks as a bearer token on REST (signature, type, session still active, user active).
 * The login keeps the token and its expiry: the open socket is watched until either ends.
 */
export async function authenticateSocket(request: FastifyRequest, services: Services, settings: Settings): Promise<SocketAuth> {
  const presented = socketToken(request);
  if (!presented) return { ok: false, code: AUTH_FAILED_CLOSE_CODE, reason: 'Missing authentication token' };
  if (presented.fromCookie && !originAllowed(request.headers.origin, settings)) {
    return { ok: false, code: ORIGIN_REFUSED_CLOSE_CODE, reason: 'Origin not allowed' };
  }
  try {
    const claims = await services.tokens.verifyAccessToken(presented.token);
    const { user, sessionId } = await services.sessions.authenticate(presented.token, claims);
    // the socket's every later line names its user (a disabled logger has no bindings)
    (request.log as Partial<Logger>).setBindings?.({ userId: user.id });
    return { ok: true, login: { userId: user.id, sessionId, accessToken: presented.token, expiresAt: claims.exp } };
  } catch (error) {
    if (error instanceof AuthenticationError) return { ok: false, code: AUTH_FAILED_CLOSE_CODE, reason: error.message };
    throw error;
  }
}

/** Replaces the values of query parameters named `token` or `*_token` (`?token=` carries an access token). */
export const redactUrlTokens = (url: string): string => url.replace(/([?&][^=&#]*token=)[^&#]*/gi, '$1[REDACTED]');

/** Fastify's request log fields, with tokens in the URL redacted. */
export function serializeRequest(request: FastifyRequest) {
  const version = request.headers?.['accept-version'];
  return {
    method: request.method,
    url: redactUrlTokens(request.url),
    version: Array.isArray(version) ? version.join(', ') : version,
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
