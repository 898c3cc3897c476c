export { createTestDatabase, useTestDatabase } from './database.ts';
