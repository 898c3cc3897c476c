// Required JWT claims: a token signed with the right key but lacking exp, sub, type, jti, or (on
// an access token) sid is refused with the contract's 401 (section 1.3), over REST and on the
// agent socket, which authenticate through the same verification.
import { randomUUID } from 'node:crypto';
import { decodeJwt, SignJWT } from 'jose';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgentSocket } from './agent-socket.ts';
import { type SignedUp, signUp, useTestApp } from './helpers.ts';

const t = useTestApp();
let user: SignedUp;
beforeAll(async () => {
  user = await signUp(t);
});

/** A token with exactly these claims, signed as the API signs (HS256, SECRET_KEY). */
const sign = (claims: Record<string, unknown>) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(t.settings.SECRET_KEY));

/** Every claim an access token of `user`'s live session carries. */
const completeClaims = (): Record<string, unknown> => {
  const { sid } = decodeJwt(user.access_token);
  return { sub: user.id, type: 'access', sid, jti: randomUUID(), exp: Math.floor(Date.now() / 1000) + 600 };
};

/** The claim left out → the contract's message: its checks in order, anything else is "invalid". */
const MISSING: [string, string][] = [
  ['exp', 'Invalid or expired token'],
  ['sub', 'Invalid token payload'],
  ['type', 'Invalid token type'],
  ['jti', 'Invalid or expired token'],
  ['sid', 'Invalid or expired token'],
];

const without = async (claim: string) => {
  const { [claim]: _dropped, ...claims } = completeClaims();
  return sign(claims);
};

const me = (token: string) => t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } });

describe('required claims over REST', () => {
  it('a token with every claim is accepted (the control)', async () => {
    const res = await me(await sign(completeClaims()));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().id).toBe(user.id);
  });

  it.each(MISSING)('without %s → 401 "%s"', async (claim, message) => {
    const res = await me(await without(claim));
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: { code: 'AUTHENTICATION_ERROR', message, details: null } });
    expect(res.headers['www-authenticate']).toBe('Bearer');
  });

  it("an expired token lacking a claim is answered as expired, the contract's first check", async () => {
    const { type: _type, ...claims }: Record<string, unknown> = { ...completeClaims(), exp: Math.floor(Date.now() / 1000) - 10 };
    expect((await me(await sign(claims))).json().error.message).toBe('Invalid or expired token');
  });

  it('refresh tokens need exp, sub, type and jti too (refresh verifies them before looking up the session)', async () => {
    const { tokens } = t.app.platform.services;
    const claims = decodeJwt(user.refresh_token);
    expect((await tokens.verify(await sign(claims))).sub).toBe(user.id);
    for (const claim of ['exp', 'sub', 'type', 'jti']) {
      const { [claim]: _dropped, ...rest } = claims;
      await expect(tokens.verify(await sign(rest)), claim).rejects.toThrow(/^Invalid/);
    }
  });
});

describe('required claims on the agent socket', () => {
  const sockets: AgentSocket[] = [];
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.ws.terminate();
  });

  it.each(MISSING)('without %s → closed 4001 "%s" before any event', async (claim, message) => {
    const socket = await AgentSocket.open(t.baseUrl, `?token=${await without(claim)}`);
    sockets.push(socket);
    expect(await socket.closed).toEqual({ code: 4001, reason: message });
    expect(socket.events).toEqual([]);
  });
});
