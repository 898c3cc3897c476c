// Interactive API docs at /docs (Scalar), reading the document served at API_V1_STR/openapi.json.
// The UI's script is served from the installed package, and fonts are the browser's own, so the
// page works with no internet access. Like the document, it exists only outside production.
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { API_CSP, cspHeader } from './security-headers.ts';

export const DOCS_PATH = '/docs';

const INLINE_SCRIPT = /<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g;

/** `'sha256-…'` of each inline script of a page, the CSP source that lets exactly that script run. */
const inlineScriptHashes = (html: string): string[] =>
  [...html.matchAll(INLINE_SCRIPT)].map(
    ([, body]) =>
      `'sha256-${createHash('sha256')
        .update(body ?? '')
        .digest('base64')}'`,
  );

/**
 * The docs page's policy: the API's, plus what Scalar needs. Its script comes from this server and
 * its one inline script (the start call, built from the settings) is allowed by hash; Scalar
 * injects its styles at run time, hence inline styles; icons are data: URLs; it fetches the
 * OpenAPI document from this server.
 */
function docsPagePolicy(html: string): string {
  return cspHeader({
    ...API_CSP,
    'script-src': ["'self'", ...inlineScriptHashes(html)],
    'style-src': ["'self'", "'unsafe-inline'"],
    'img-src': ["'self'", 'data:'],
    'font-src': ["'self'", 'data:'],
    'connect-src': ["'self'"],
  });
}

async function docs(app: FastifyInstance) {
  const { settings } = app.platform;
  if (!settings.docsEnabled) return;
  // Imported only where the docs are served: the UI's bundle is several MB of code.
  const { default: scalar } = await import('@scalar/fastify-api-reference');
  // A scope of its own holds only Scalar's routes: the page gets its own policy instead of the API's.
  await app.register(async (page) => {
    page.addHook('onSend', async (_request, reply, payload) => {
      const isPage = String(reply.getHeader('content-type')).startsWith('text/html');
      if (isPage && typeof payload === 'string') reply.header('content-security-policy', docsPagePolicy(payload));
      return payload;
    });
    await page.register(scalar, {
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
  });
}

export default fp(docs, { name: 'docs', dependencies: ['platform', 'security-headers'] });
