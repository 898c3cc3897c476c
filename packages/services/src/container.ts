import type { Settings } from '@personal-automations/config';
import type { Database } from '@personal-automations/db';
import type { Redis } from 'ioredis';
import { HealthService } from './health.ts';
import { ItemService } from './items.ts';

export type ServiceDeps = { db: Database; redis: Redis; settings: Settings };

/** One instance of every service, sharing the process's database and Redis clients. */
export function createServices({ db, redis, settings }: ServiceDeps) {
  return {
    items: new ItemService(db),
    health: new HealthService({ db, redis, serviceName: settings.PROJECT_NAME, environment: settings.ENVIRONMENT, version: '1.0.0' }),
  };
}
export type Services = ReturnType<typeof createServices>;
