// What deploy/observability ships: alert rules that promtool accepts, a Grafana dashboard and a
// Prometheus configuration whose queries name only families this project exports, and the compose
// profile that runs them.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { registry } from '../src/index.ts';

const root = new URL('../../../', import.meta.url);
const read = (path: string) => fs.readFileSync(new URL(path, root), 'utf8');

/** Every family the endpoint serves, by name (a histogram's series end in _bucket, _sum, _count). */
async function exportedNames(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const metric of await registry.getMetricsAsJSON()) {
    names.add(metric.name);
    for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${metric.name}${suffix}`);
  }
  return names;
}

/** The metric names an expression reads (words before `{`, `[` or `)` that look like our families or the defaults). */
const namesIn = (expr: string): string[] => [...expr.matchAll(/\b((?:pa|nodejs|process)_[a-z0-9_]+)/g)].map((m) => m[1]!);

describe('deploy/observability', () => {
  it('has alert rules that pass promtool check rules', () => {
    const checked = spawnSync('promtool', ['check', 'rules', new URL('deploy/observability/alerts.yml', root).pathname], {
      encoding: 'utf8',
    });
    expect(checked.status, `${checked.stdout}${checked.stderr}`).toBe(0);
    expect(checked.stdout).toContain('SUCCESS: 5 rules found');
  });

  it('asks the dashboard and the alerts only for families the processes export', async () => {
    const exported = await exportedNames();
    const dashboard = JSON.parse(read('deploy/observability/grafana/dashboards/personal-automations.json')) as {
      panels: { targets: { expr: string }[] }[];
    };
    const exprs = [
      ...dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr)),
      read('deploy/observability/alerts.yml'),
    ];
    const unknown = exprs.flatMap(namesIn).filter((name) => !exported.has(name));
    expect(unknown).toEqual([]);
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(10);
  });

  it('runs Prometheus, Grafana and a trace viewer in the compose profile "observability"', () => {
    const compose = read('docker-compose.yml');
    for (const service of ['prometheus', 'grafana', 'jaeger'])
      expect(compose).toMatch(new RegExp(`\\n  ${service}:\\n    image: [^\\n]+\\n    profiles: \\[observability\\]`));
  });
});
