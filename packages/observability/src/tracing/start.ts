// What an entry point calls first: the SDK when the settings ask for traces, nothing otherwise
// (sdk.ts is imported only then, so with tracing off start-up loads none of OpenTelemetry).
import type { Tracing } from './sdk.ts';

export type TracingSettings = { tracingEnabled: boolean; OTEL_SERVICE_NAME?: string | undefined; PROJECT_NAME: string };

/** Starts tracing for the process `role` (api, worker, scheduler); its service name is OTEL_SERVICE_NAME, else `<PROJECT_NAME>-<role>`. */
export async function startTracingIfEnabled(settings: TracingSettings, role: string): Promise<Tracing | undefined> {
  if (!settings.tracingEnabled) return undefined;
  const { startTracing } = await import('./sdk.ts');
  return startTracing(settings.OTEL_SERVICE_NAME ?? `${settings.PROJECT_NAME}-${role}`);
}
