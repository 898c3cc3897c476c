// Interactive API docs at /docs (Scalar), reading the document served at API_V1_STR/openapi.json.
// The UI's script is served from the installed package, and fonts are the browser's own, so the
// page works with no internet access. Like the document, it exists only outside production.
import scalar from '@scalar/fastify-api-reference';
import type { FastifyInstance } from 'fastify';
import type { Settings } from '@personal-automations/config';

export const DOCS_PATH = '/docs';

export async function docsPlugin(app: FastifyInstance, { settings }: { settings: Settings }) {
  if (!settings.docsEnabled) return;
  await app.register(scalar, {
    routePrefix: DOCS_PATH,
    logLevel: 'warn',
    configuration: {
      url: `${settings.API_V1_STR}/openapi.json`,
      pageTitle: `${settings.PROJECT_NAME} API`,
      // Each of these would reach a third-party host from the reader's browser.
      withDefaultFonts: false,
      telemetry: false,
      agent: { disabled: true },
      showDeveloperTools: 'never',
    },
  });
}
