import type { Settings } from '@personal-automations/config';
import type { Database } from '@personal-automations/db';
import type { Redis } from 'ioredis';
import { AuthService } from './auth/auth.ts';
import { createLucia } from './auth/lucia.ts';
import { SessionService } from './auth/sessions.ts';
import { TokenService } from './auth/tokens.ts';
import { HealthService } from './health.ts';
import { ItemService } from './items.ts';
import { UserService } from './users.ts';

export type ServiceDeps = { db: Database; redis: Redis; settings: Settings };

/** One instance of every service, sharing the process's database and Redis clients. */
export function createServices({ db, redis, settings }: ServiceDeps) {
  const tokens = new TokenService({
    secretKey: settings.SECRET_KEY,
    accessTokenMinutes: settings.ACCESS_TOKEN_EXPIRE_MINUTES,
    refreshTokenMinutes: settings.REFRESH_TOKEN_EXPIRE_MINUTES,
  });
  const users = new UserService(db);
  const sessions = new SessionService(db, createLucia(db, settings.REFRESH_TOKEN_EXPIRE_MINUTES), tokens);
  return {
    tokens,
    users,
    sessions,
    auth: new AuthService(users, sessions),
    items: new ItemService(db),
    health: new HealthService({ db, redis, serviceName: settings.PROJECT_NAME, environment: settings.ENVIRONMENT, version: '1.0.0' }),
  };
}
export type Services = ReturnType<typeof createServices>;
