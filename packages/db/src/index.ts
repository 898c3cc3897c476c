export { createPrismaClient } from './client.ts';
export type { Database, DatabaseOptions } from './client.ts';
export { ensureDatabase, dropDatabase, withDatabaseName } from './admin.ts';
export { Prisma } from './generated/prisma/client.ts';
export type {
  User,
  Session,
  Item,
  Conversation,
  Message,
  ToolCall,
  Webhook,
  WebhookDelivery,
  OutboxEvent,
} from './generated/prisma/client.ts';
export { isDatabaseUnavailable, isForeignKeyViolation, isRecordNotFound, isUniqueViolation } from './errors.ts';
export { openEmbeddedDatabase, exportEmbeddedDatabase, EmbeddedDatabaseInUseError } from './embedded/index.ts';
export type { EmbeddedDatabase, EmbeddedDatabaseOptions } from './embedded/index.ts';
