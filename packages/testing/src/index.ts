export { createTestDatabase, isEmbeddedTestMode, useTestDatabase } from '@personal-automations/db/testing';
export { copyTemplateDataDir } from './embedded.ts';
export { openTcpProxy } from './tcp-proxy.ts';
export { startFakeDns, type FakeDns, type FakeDnsOptions } from './fake-dns.ts';
