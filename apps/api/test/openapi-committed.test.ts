// The committed OpenAPI document (apps/api/openapi.json) is what the routers generate with the
// default settings: a change to the REST surface fails here until the document is rewritten
// (`pnpm openapi:write`) and the change reviewed, so third parties get a readable API history.
import fs from 'node:fs';
import { diff } from 'node:util';
import { describe, expect, it } from 'vitest';
import { COMMITTED_DOCUMENT, generatedDocumentText } from '../scripts/openapi.ts';

/** The lines that differ, each with two lines of context, as `-` (committed) and `+` (generated). */
function lineDiff(committed: string, generated: string): string {
  const entries = diff(committed.split('\n'), generated.split('\n'));
  const changed = new Set(entries.flatMap(([op], i) => (op === 0 ? [] : [i - 2, i - 1, i, i + 1, i + 2])));
  return (
    entries
      // util.diff marks a line only in its first argument 1, only in its second -1
      .flatMap(([op, line], i) => (changed.has(i) ? [`${op === 1 ? '-' : op === -1 ? '+' : ' '} ${line}`] : []))
      .slice(0, 200)
      .join('\n')
  );
}

describe('apps/api/openapi.json', () => {
  it('is the generated document (if not: review the diff, then run `pnpm openapi:write`)', () => {
    const committed = fs.readFileSync(COMMITTED_DOCUMENT, 'utf8');
    const generated = generatedDocumentText();
    if (committed !== generated) expect.fail(`apps/api/openapi.json is out of date; the change:\n${lineDiff(committed, generated)}`);
  });

  it('the check notices a change', () => {
    const committed = fs.readFileSync(COMMITTED_DOCUMENT, 'utf8');
    const changed = committed.replace('"summary": "List items (paginated)"', '"summary": "List the items"');
    expect(changed).not.toBe(committed);
    expect(lineDiff(committed, changed)).toMatch(/^- .*List items \(paginated\)[\s\S]*^\+ .*List the items/m);
  });
});
