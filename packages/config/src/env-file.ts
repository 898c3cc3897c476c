import fs from 'node:fs';
import path from 'node:path';

/**
 * Reads `.env` from the current directory or the nearest parent that has one, so a command run
 * from any folder of the checkout (`apps/cli`, `packages/db`) finds the root's `.env`. Lines are
 * KEY=VALUE; quotes around the value are removed; `#` starts a comment.
 * Variables already present in the environment win over the file.
 */
export function readEnvFile(startDir: string = process.cwd()): Record<string, string> {
  let dir = path.resolve(startDir);
  for (;;) {
    const candidate = path.join(dir, '.env');
    if (fs.existsSync(candidate)) return parseEnv(fs.readFileSync(candidate, 'utf8'));
    const parent = path.dirname(dir);
    if (parent === dir) return {};
    dir = parent;
  }
}

export function parseEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (!line || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    let value = match[2] ?? '';
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2) {
      value = value.slice(1, -1);
    } else {
      value = value.replace(/\s+#.*$/, '');
    }
    out[match[1]!] = value;
  }
  return out;
}
