export { dropDatabase, ensureDatabase, withDatabaseName } from './admin.ts';
export type { Database, DatabaseInstruments, DatabaseOptions, PoolStats } from './client.ts';
export { createPrismaClient } from './client.ts';
export type { EmbeddedDatabase, EmbeddedDatabaseOptions } from './embedded/index.ts';
export { EmbeddedDatabaseInUseError, exportEmbeddedDatabase, openEmbeddedDatabase } from './embedded/index.ts';
export { isDatabaseUnavailable, isForeignKeyViolation, isRecordNotFound, isUniqueViolation } from './errors.ts';
export type {
  Conversation,
  Item,
  Message,
  OutboxEvent,
  Session,
  ToolCall,
  User,
  Webhook,
  WebhookDelivery,
} from './generated/prisma/client.ts';
export { Prisma } from './generated/prisma/client.ts';
export type { NotificationListener, NotificationListenerOptions } from './notifications.ts';
export { listenForNotifications } from './notifications.ts';
