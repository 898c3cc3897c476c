import { createHash, randomUUID } from 'node:crypto';
import { errors, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import { LRUCache } from 'lru-cache';
import { AuthenticationError } from '../errors.ts';

export type TokenType = 'access' | 'refresh';
export type AccessClaims = { sub: string; sid: string; jti: string; exp: number; type: 'access' };

/** `verifiedCacheSize`: how many verified access tokens this process remembers (0: none). */
export type TokenSettings = { secretKey: string; accessTokenMinutes: number; refreshTokenMinutes: number; verifiedCacheSize?: number };

/** sha256 hex of a refresh token: what the sessions table stores. */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

const INVALID_TOKEN = 'Invalid or expired token';

/**
 * The claims this service writes on every token: one lacking any was not issued by this API, so
 * it is refused rather than read with defaults (without `exp` it would never expire; an access
 * token without `sid` could never be revoked).
 */
const REQUIRED_CLAIMS = ['exp', 'sub', 'type', 'jti'];
const ACCESS_REQUIRED_CLAIMS = [...REQUIRED_CLAIMS, 'sid'];

/** The contract's checks after the signature, in its order (1.3): the type, then the subject. */
function claimsProblem(payload: JWTPayload, type: TokenType | undefined): string | undefined {
  if (typeof payload.type !== 'string' || (type && payload.type !== type)) return 'Invalid token type';
  if (typeof payload.sub !== 'string' || !payload.sub) return 'Invalid token payload';
  if (type === 'access' && typeof payload.sid !== 'string') return INVALID_TOKEN;
  return undefined;
}

/**
 * The answer to a validly signed token that lacks a required claim. jose checks presence before
 * expiry, but the contract answers an expired token first; a token that passes the contract's
 * checks and still lacks a claim (jti, sid) is malformed.
 */
function missingClaimError(payload: JWTPayload, type: TokenType | undefined): AuthenticationError {
  const expired = typeof payload.exp !== 'number' || payload.exp * 1000 <= Date.now();
  return new AuthenticationError((!expired && claimsProblem(payload, type)) || INVALID_TOKEN);
}

/**
 * HS256 JWTs with the claims the frontend already decodes (sub, exp, type) plus a random jti, so
 * no two tokens are ever equal, and on access tokens the session id (sid), so revoking a session
 * revokes them.
 */
export class TokenService {
  /** Imported once: handing jose the raw bytes would re-import the key on every call (~2x slower). */
  private readonly key: ReturnType<typeof crypto.subtle.importKey>;
  private readonly settings: TokenSettings;
  /**
   * Access tokens already verified, by their text: a client sends the same token with every
   * request until it refreshes, and its signature and claims cannot change; only its expiry is
   * checked again. A bounded LRU, so a flood of distinct tokens cannot grow it.
   */
  private readonly verified: LRUCache<string, AccessClaims> | undefined;
  constructor(settings: TokenSettings) {
    this.settings = settings;
    const raw = new TextEncoder().encode(settings.secretKey);
    this.key = crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    if (settings.verifiedCacheSize) this.verified = new LRUCache({ max: settings.verifiedCacheSize });
  }

  private async sign(claims: Record<string, unknown>, minutes: number): Promise<string> {
    return new SignJWT({ ...claims, jti: randomUUID() })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setExpirationTime(Math.floor(Date.now() / 1000) + minutes * 60)
      .sign(await this.key);
  }

  createAccessToken(userId: string, sessionId: string): Promise<string> {
    return this.sign({ sub: userId, type: 'access', sid: sessionId }, this.settings.accessTokenMinutes);
  }

  createRefreshToken(userId: string): Promise<string> {
    return this.sign({ sub: userId, type: 'refresh' }, this.settings.refreshTokenMinutes);
  }

  /**
   * Signature, expiry and the required claims, then (given `type`) the contract's claim checks;
   * every failure is a 401 with the contract's message. Without `type` the caller checks it.
   */
  async verify(token: string, type?: TokenType): Promise<JWTPayload> {
    const requiredClaims = type === 'access' ? ACCESS_REQUIRED_CLAIMS : REQUIRED_CLAIMS;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await this.key, { algorithms: ['HS256'], requiredClaims }));
    } catch (error) {
      if (error instanceof errors.JWTClaimValidationFailed && error.reason === 'missing') throw missingClaimError(error.payload, type);
      if (error instanceof errors.JOSEError || error instanceof TypeError) throw new AuthenticationError(INVALID_TOKEN);
      throw error;
    }
    const problem = type && claimsProblem(payload, type);
    if (problem) throw new AuthenticationError(problem);
    return payload;
  }

  /** An access token's claims, in the order of the contract's checks. */
  async verifyAccessToken(token: string): Promise<AccessClaims> {
    const known = this.verified?.get(token);
    if (known) {
      if (known.exp * 1000 > Date.now()) return known;
      this.verified?.delete(token);
    }
    const claims = (await this.verify(token, 'access')) as AccessClaims;
    this.verified?.set(token, claims);
    return claims;
  }
}
