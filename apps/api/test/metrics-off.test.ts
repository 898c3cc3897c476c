// METRICS_ENABLED=false: the API adds no metrics hooks (main.ts then opens no endpoint either).
import { describe, expect, it } from 'vitest';
import { registry } from '@personal-automations/observability';
import { useTestApp } from './helpers.ts';

const t = useTestApp({ METRICS_ENABLED: 'false' });

describe('metrics turned off', () => {
  it('registers no metrics plugin and counts no request', async () => {
    expect(t.app.hasPlugin('metrics')).toBe(false);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/health' })).statusCode).toBe(200);
    const histogram = await registry.getSingleMetric('pa_http_request_duration_seconds')!.get();
    expect(histogram.values).toEqual([]);
  });
});
