// The committed OpenAPI document (apps/api/openapi.json): what the API serves with the default
// settings, kept in the repository so every change to the REST surface shows up in review.
//   node scripts/openapi.ts --write   rewrite it from the routers (after reviewing the change)
//   node scripts/openapi.ts           print the generated document
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadSettings } from '@personal-automations/config';
import { appRouter } from '@personal-automations/router';
import { restOperations } from '../src/catalog.ts';
import { buildOpenApiDocument } from '../src/openapi/document.ts';

export const COMMITTED_DOCUMENT = fileURLToPath(new URL('../openapi.json', import.meta.url));

/** The document with every setting at its default (no environment, no .env), as JSON text. */
export function generatedDocumentText(): string {
  const settings = loadSettings({});
  return `${JSON.stringify(buildOpenApiDocument(appRouter, restOperations(), settings), null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = generatedDocumentText();
  if (process.argv.includes('--write')) {
    fs.writeFileSync(COMMITTED_DOCUMENT, text);
    console.log(`wrote ${COMMITTED_DOCUMENT}`);
  } else process.stdout.write(text);
}
