// Starts the API server: validated settings, tracing when the OTEL_* settings ask for it, then
// listen on HOST:PORT; SIGTERM/SIGINT stop accepting connections, let in-flight requests finish and
// close the pools. The app is imported after tracing has started (its modules are instrumented as
// they load); with tracing off that is the only difference, and the SDK is never loaded.
//
// Node's compile cache comes first, and every other module is imported after it, so each one's
// stripped TypeScript and V8 code cache are read from disk (NODE_COMPILE_CACHE, else the OS temp
// folder; keyed by file contents) rather than made again at each start. A start that finds every
// module there, this file included, never loads Node's TypeScript stripper (swc in WebAssembly,
// about 14 MiB resident for the life of the process). This file is TypeScript, so it is stripped
// before it can turn the cache on: start.js, the entry point the scripts and the image use, turns
// it on first and then runs main(). (The image also sets NODE_COMPILE_CACHE, and fills the cache
// at build: ../scripts/warm-compile-cache.ts.)
import module from 'node:module';
import type { FastifyInstance } from 'fastify';
import type { Settings } from '@personal-automations/config';

/** In-flight requests get this long to finish on shutdown before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 10_000;

async function loadOrExit(): Promise<Settings> {
  const { getSettings, SettingsError } = await import('@personal-automations/config');
  try {
    return getSettings();
  } catch (error) {
    if (error instanceof SettingsError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

/**
 * The app, or exit 1 with one line when its database is held by another process (embedded mode)
 * or a setting names what does not exist (AGENT_APPROVAL_TOOLS: a tool the agent lacks).
 */
async function buildOrExit(settings: Settings): Promise<FastifyInstance> {
  const [{ buildApp }, { EmbeddedDatabaseInUseError }, { SettingsError }] = await Promise.all([
    import('./app.ts'),
    import('@personal-automations/db'),
    import('@personal-automations/config'),
  ]);
  try {
    return await buildApp({ settings });
  } catch (error) {
    if (error instanceof EmbeddedDatabaseInUseError || error instanceof SettingsError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

/** SIGTERM/SIGINT: stop accepting, let in-flight requests (and jobs run here) finish, then exit. */
function stopOnSignals(app: FastifyInstance, settings: Settings): void {
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      app.log.info({ signal }, 'shutting down: finishing in-flight requests');
      // jobs run in this process get the worker's own grace period too (then they go back to the queue)
      const jobsGraceMs = app.platform.runsJobsInProcess ? settings.WORKER_SHUTDOWN_GRACE_SECONDS * 1000 : 0;
      setTimeout(() => {
        app.log.error('shutdown grace period over, exiting');
        process.exit(1);
      }, SHUTDOWN_GRACE_MS + jobsGraceMs).unref();
      app.close().then(
        () => process.exit(0),
        (error: unknown) => {
          app.log.error({ err: error }, 'error during shutdown');
          process.exit(1);
        },
      );
    });
  }
}

export async function main(): Promise<void> {
  const settings = await loadOrExit();
  const { startMetricsServer, startTracingIfEnabled } = await import('@personal-automations/observability');
  const tracing = await startTracingIfEnabled(settings, 'api');
  const app = await buildOrExit(settings);
  // the last spans are exported before the process exits
  if (tracing) app.addHook('onClose', () => tracing.shutdown());
  // On a port of its own, never on the public router; closed with the app.
  const metricsServer = settings.METRICS_ENABLED
    ? await startMetricsServer({ host: settings.METRICS_HOST, port: settings.METRICS_PORT }, app.log)
    : undefined;
  if (metricsServer) app.addHook('onClose', () => metricsServer.close());
  stopOnSignals(app, settings);

  await app.listen({ host: settings.HOST, port: settings.PORT });
  app.log.info(`${settings.PROJECT_NAME} API (${settings.ENVIRONMENT}) on http://${settings.HOST}:${settings.PORT}${settings.API_V1_STR}`);
  // Written now, not only at a clean exit: a process that is killed still leaves the next start a warm cache.
  module.flushCompileCache();
}

// Imported rather than run (start.js, the image's cache warm-up), it starts nothing.
if (import.meta.main) {
  module.enableCompileCache();
  await main();
}
