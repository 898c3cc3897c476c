// Starts the API server: validated settings, tracing when the OTEL_* settings ask for it, then
// listen on HOST:PORT; SIGTERM/SIGINT stop accepting connections, let in-flight requests finish and
// close the pools. The app is imported after tracing has started (its modules are instrumented as
// they load); with tracing off that is the only difference, and the SDK is never loaded.
import { getSettings, type Settings, SettingsError } from '@personal-automations/config';
import { startMetricsServer, startTracingIfEnabled } from '@personal-automations/observability';

/** In-flight requests get this long to finish on shutdown before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 10_000;

function loadOrExit(): Settings {
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
async function buildOrExit(settings: Settings) {
  const [{ buildApp }, { EmbeddedDatabaseInUseError }] = await Promise.all([import('./app.ts'), import('@personal-automations/db')]);
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

const settings = loadOrExit();
const tracing = await startTracingIfEnabled(settings, 'api');
const app = await buildOrExit(settings);
// the last spans are exported before the process exits
if (tracing) app.addHook('onClose', () => tracing.shutdown());
// On a port of its own, never on the public router; closed with the app.
const metricsServer = settings.METRICS_ENABLED
  ? await startMetricsServer({ host: settings.METRICS_HOST, port: settings.METRICS_PORT }, app.log)
  : undefined;
if (metricsServer) app.addHook('onClose', () => metricsServer.close());

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

await app.listen({ host: settings.HOST, port: settings.PORT });
app.log.info(`${settings.PROJECT_NAME} API (${settings.ENVIRONMENT}) on http://${settings.HOST}:${settings.PORT}${settings.API_V1_STR}`);
