// The API is a program the CLI runs (`server run`, `server routes`), never a module it imports:
// apps are leaves, so the CLI depends on no app. Its entry points are found beside the CLI in the
// workspace, as docker-compose and the benchmarks find them.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** `apps/api/src/<file>`, e.g. `start.js` (the server) or `print-routes.ts` (the route table). */
export const apiEntry = (file: string): string => fileURLToPath(new URL(`../../../api/src/${file}`, import.meta.url));

export type Finished = { code: number; stdout: string; stderr: string };

/** Runs `node <entry>` in this process's environment and working directory (so the same settings), collecting its output. */
export function runApiEntry(file: string): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [apiEntry(file)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}
