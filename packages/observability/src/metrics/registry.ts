// The process's one Prometheus registry: every family this project exports, plus prom-client's
// process defaults (event-loop lag, heap, GC, CPU, file descriptors). A registry of our own rather
// than prom-client's global one, so a dependency that registers metrics there cannot add families
// we never documented to the endpoint.
import { collectDefaultMetrics, Gauge, type GaugeConfiguration, Registry } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });
// prom-client names three gauges `_total`, which promtool (rightly) refuses for anything but a
// counter; each is the sum of the by-type gauge kept beside it (nodejs_active_handles, ...).
for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'])
  registry.removeSingleMetric(name);

/** The text exposition format, and its content type, for the metrics endpoint. */
export const metricsText = (): Promise<string> => registry.metrics();
export const metricsContentType: string = registry.contentType;

/** Reads a part of the process (a pool, a queue) into the gauge, with `gauge.inc`, at scrape time. */
export type GaugeReader<Label extends string> = (gauge: Gauge<Label>) => void | Promise<void>;

export type SourcedGauge<Label extends string> = {
  gauge: Gauge<Label>;
  /** Adds a reader; the function returned removes it (when its part closes). */
  add(reader: GaugeReader<Label>): () => void;
};

/**
 * A gauge whose values are read from the parts at scrape time rather than kept up to date by
 * the code that uses them, so the request path pays nothing for it. Several readers add up (a
 * test process may hold several platforms); a failing reader leaves its series out.
 */
export function sourcedGauge<Label extends string>(config: Omit<GaugeConfiguration<Label>, 'collect' | 'registers'>): SourcedGauge<Label> {
  const readers = new Set<GaugeReader<Label>>();
  const gauge = new Gauge<Label>({
    ...config,
    registers: [registry],
    async collect() {
      this.reset();
      await Promise.all(
        [...readers].map(async (read) => {
          try {
            await read(this);
          } catch {
            // a part that cannot be read now (its server is down) is left out of this scrape
          }
        }),
      );
    },
  });
  return {
    gauge,
    add(reader) {
      readers.add(reader);
      return () => readers.delete(reader);
    },
  };
}
