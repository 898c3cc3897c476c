import { createHash, randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { AuthenticationError } from '../errors.ts';

export type TokenType = 'access' | 'refresh';
export type AccessClaims = { sub: string; sid: string; jti: string; exp: number; type: 'access' };

export type TokenSettings = { secretKey: string; accessTokenMinutes: number; refreshTokenMinutes: number };

/** sha256 hex of a refresh token: what the sessions table stores. */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/**
 * HS256 JWTs with the original's claims (sub, exp, type) plus a random jti, so no two tokens are
 * ever equal, and on access tokens the session id (sid), so revoking a session revokes them.
 */
export class TokenService {
  /** Imported once: handing jose the raw bytes would re-import the key on every call (~2x slower). */
  private readonly key: ReturnType<typeof crypto.subtle.importKey>;
  private readonly settings: TokenSettings;
  constructor(settings: TokenSettings) {
    this.settings = settings;
    const raw = new TextEncoder().encode(settings.secretKey);
    this.key = crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
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

  get refreshLifetimeMs(): number {
    return this.settings.refreshTokenMinutes * 60_000;
  }

  /** Signature and expiry; any failure is the contract's "Invalid or expired token". */
  async verify(token: string): Promise<Record<string, unknown>> {
    try {
      const { payload } = await jwtVerify(token, await this.key, { algorithms: ['HS256'] });
      return payload;
    } catch (error) {
      if (error instanceof errors.JOSEError || error instanceof TypeError) throw new AuthenticationError('Invalid or expired token');
      throw error;
    }
  }

  /** An access token's claims, in the order of the contract's checks. */
  async verifyAccessToken(token: string): Promise<AccessClaims> {
    const payload = await this.verify(token);
    if (payload.type !== 'access') throw new AuthenticationError('Invalid token type');
    if (typeof payload.sub !== 'string' || !payload.sub) throw new AuthenticationError('Invalid token payload');
    // Tokens without a session id cannot be revoked, so they are not accepted.
    if (typeof payload.sid !== 'string') throw new AuthenticationError('Invalid or expired token');
    return payload as AccessClaims;
  }
}
