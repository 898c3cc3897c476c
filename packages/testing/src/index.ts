export { createTestDatabase, useTestDatabase } from '@personal-automations/db/testing';
