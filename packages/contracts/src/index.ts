export * from './common.ts';
export * from './items.ts';
export * from './health.ts';
