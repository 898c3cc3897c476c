// Prisma CLI configuration. The schema and migrations live at the repository root (prisma/).
// The CLI's native schema engine is a download this project never needs: the WASM engine
// wrapper in ./engine speaks the same protocol. A user with the native engine can point
// PRISMA_SCHEMA_ENGINE_BINARY elsewhere.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'prisma/config';
import { getSettings } from '@personal-automations/config';

const here = path.dirname(fileURLToPath(import.meta.url));
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= path.join(here, 'engine', 'schema-engine.mjs');

export default defineConfig({
  schema: path.join(here, '..', '..', 'prisma', 'schema.prisma'),
  migrations: { path: path.join(here, '..', '..', 'prisma', 'migrations') },
  // The project's settings (DATABASE_URL, or the POSTGRES_* parts, from the environment or .env).
  datasource: { url: process.env.DATABASE_URL ?? getSettings().databaseUrl },
});
