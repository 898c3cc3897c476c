// The log destination's bound (LOG_BUFFER_MAX_BYTES): lines wait in memory while a write is in
// progress, and past the bound new ones are dropped instead of held, so a stdout whose reader
// stalls cannot grow the process without end. A write to a file cannot complete within the turn
// that starts it, so lines written in one turn pile up exactly as behind a stalled reader.
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { logDestination, logOptions } from '../src/logging.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'pa-logging-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A destination of at most `maxBytes` on a new file, the lines it dropped, and a way to close it and read what was written. */
function destinationOnFile(maxBytes: number) {
  const file = path.join(dir, `${Math.random()}.log`);
  const dest = logDestination(maxBytes, openSync(file, 'w'));
  const dropped: string[] = [];
  dest.on('drop', (data: string) => dropped.push(data));
  const written = async () => {
    const closed = new Promise((resolve) => dest.once('close', resolve));
    dest.end();
    await closed;
    return readFileSync(file, 'utf8');
  };
  return { dest, dropped, written };
}

describe('the log destination (LOG_BUFFER_MAX_BYTES)', () => {
  it('holds at most the bound while a write is in progress, and drops the lines past it', async () => {
    const { dest, dropped, written } = destinationOnFile(4096);
    const line = `${'x'.repeat(999)}\n`;
    for (let i = 0; i < 10; i++) dest.write(line);
    expect(dropped).toHaveLength(6);
    expect(await written()).toBe(line.repeat(4));
  });

  it('bounds a pino logger writing a flood of lines in one turn', async () => {
    const { dest, dropped, written } = destinationOnFile(65_536);
    const logger = pino({ base: null }, dest);
    for (let i = 0; i < 1000; i++) logger.info({ i, padding: 'y'.repeat(200) }, 'flood');
    expect(dropped.length).toBeGreaterThan(0);
    const text = await written();
    expect(text.length).toBeLessThanOrEqual(65_536);
    expect(text.split('\n').filter(Boolean).length).toBe(1000 - dropped.length);
  });

  it('is what logOptions writes to, except with pino-pretty on a local terminal', () => {
    const settings = { ENVIRONMENT: 'production', tracingEnabled: false, LOG_BUFFER_MAX_BYTES: 123_456 };
    const options = logOptions(settings, { terminal: false });
    // sonic-boom keeps its options as fields; its types leave maxLength out
    const bound = (options.stream as { maxLength?: number } | undefined)?.maxLength;
    if (process.stdout.write === Object.getPrototypeOf(process.stdout).write) expect(bound).toBe(123_456);
    else expect(options.stream).toBeUndefined(); // stdout captured by the test runner: pino writes to it as it is
    const pretty = logOptions({ ...settings, ENVIRONMENT: 'local' }, { terminal: true });
    expect(pretty.stream).toBeUndefined();
    expect(pretty.transport?.target).toMatch(/pino-pretty/);
  });
});
