// Adds up the vitest JSON reports of every package and prints one closing line,
// "N passed, N failed", so a whole run is judged at a glance. Exits 1 when nothing ran.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
let passed = 0;
let failed = 0;
let skipped = 0;
for (const group of ['apps', 'packages']) {
  const dir = path.join(root, group);
  if (!fs.existsSync(dir)) continue;
  for (const name of fs.readdirSync(dir)) {
    const packageDir = path.join(root, group, name);
    if (!fs.statSync(packageDir).isDirectory()) continue;
    // test-results.json, and test-results.<mode>.json for a suite run again in another mode
    for (const file of fs
      .readdirSync(packageDir)
      .filter((f) => /^test-results(\.[\w-]+)?\.json$/.test(f))
      .sort()) {
      const report = JSON.parse(fs.readFileSync(path.join(packageDir, file), 'utf8'));
      const mode = file.slice('test-results'.length, -'.json'.length);
      passed += report.numPassedTests;
      failed += report.numFailedTests;
      skipped += report.numPendingTests + (report.numTodoTests ?? 0);
      console.log(`${group}/${name}${mode ? ` (${mode.slice(1)})` : ''}: ${report.numPassedTests} passed, ${report.numFailedTests} failed`);
    }
  }
}
console.log(`\nTests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(passed + failed === 0 || failed > 0 ? 1 : 0);
