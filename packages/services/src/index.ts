export * from './errors.ts';
export { ItemService, toItemRead } from './items.ts';
export { HealthService } from './health.ts';
export type { HealthDeps } from './health.ts';
export { isoOffset, isoOffsetOrNull, pageCount } from './serialize.ts';
export { createServices } from './container.ts';
export type { Services, ServiceDeps } from './container.ts';
