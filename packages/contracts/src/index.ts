export * from './common.ts';
export * from './items.ts';
export * from './health.ts';
export * from './users.ts';
export * from './auth.ts';
export * from './sessions.ts';
export * from './conversations.ts';
export * from './webhooks.ts';
