export { createTestDatabase, useTestDatabase } from '@personal-automations/db/testing';
export { copyTemplateDataDir, isEmbeddedTestMode } from './embedded.ts';
