// `node apps/worker/src/main.ts worker|scheduler`: validated settings, tracing when the OTEL_*
// settings ask for it, then run one of the two until SIGTERM/SIGINT, which lets in-flight jobs
// finish (see runWorker) and closes the pools. The job runtime is imported after tracing has
// started, so its modules are instrumented as they load.
import { getSettings, type Settings, SettingsError } from '@personal-automations/config';
import { startTracingIfEnabled } from '@personal-automations/observability';

/** close() gets this much beyond WORKER_SHUTDOWN_GRACE_SECONDS before the process exits anyway. */
const EXIT_MARGIN_MS = 15_000;

const mode = process.argv[2];
if (mode !== 'worker' && mode !== 'scheduler') {
  console.error('usage: node apps/worker/src/main.ts worker|scheduler');
  process.exit(2);
}

let settings: Settings;
try {
  settings = getSettings();
} catch (error) {
  if (!(error instanceof SettingsError)) throw error;
  console.error(error.message);
  process.exit(1);
}

const tracing = await startTracingIfEnabled(settings, mode);
const [{ EmbeddedDatabaseInUseError }, { runScheduler, runWorker }] = await Promise.all([
  import('@personal-automations/db'),
  import('@personal-automations/jobs'),
]);
const starting = mode === 'worker' ? runWorker({ settings }) : runScheduler({ settings });

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    setTimeout(
      () => {
        console.error(`${mode}: shutdown took too long, exiting`);
        process.exit(1);
      },
      settings.WORKER_SHUTDOWN_GRACE_SECONDS * 1000 + EXIT_MARGIN_MS,
    ).unref();
    starting
      .then((handle) => handle.close())
      .then(() => tracing?.shutdown())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(`${mode}: error during shutdown`, error);
          process.exit(1);
        },
      );
  });
}

try {
  await starting;
} catch (error) {
  // an embedded database held by the API is an expected refusal: its message says what to do
  console.error(`${mode}: failed to start:`, error instanceof EmbeddedDatabaseInUseError ? error.message : error);
  process.exit(1);
}
