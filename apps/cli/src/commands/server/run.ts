import { spawn } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import { Flags } from '@oclif/core';
import { apiEntry } from '../../lib/api.ts';
import { BaseCommand } from '../../lib/base.ts';

export default class ServerRun extends BaseCommand {
  static override summary = 'Start the API server';
  static override description =
    'Runs the API (apps/api/src/start.js) on HOST:PORT from the settings unless --host/--port say otherwise. SIGTERM or Ctrl+C stop it gracefully. --reload restarts it whenever one of its source files changes.';
  static override examples = ['<%= config.bin %> server run --reload', '<%= config.bin %> server run --host 127.0.0.1 --port 9000'];
  static override flags = {
    host: Flags.string({ description: 'address to listen on [default: HOST, 0.0.0.0]' }),
    port: Flags.integer({ min: 1, max: 65535, description: 'port to listen on [default: PORT, 8000]' }),
    reload: Flags.boolean({ default: false, description: 'restart on source changes (development)' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ServerRun);
    const settings = this.settings();
    const host = flags.host ?? settings.HOST;
    const port = flags.port ?? settings.PORT;
    await assertPortFree(host, port);
    const main = apiEntry('start.js');
    // Node's watch mode restarts the server when any module it loaded changes
    const nodeArgs = flags.reload ? ['--watch', '--watch-preserve-output', main] : [main];
    const child = spawn(process.execPath, nodeArgs, { stdio: 'inherit', env: { ...process.env, HOST: host, PORT: String(port) } });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    const code = await new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (exitCode, signal) => resolve(exitCode ?? 128 + (signal ? os.constants.signals[signal] : 0)));
    });
    if (code !== 0) this.exit(code);
  }
}

/** A clear message now rather than a stack trace from the server's listen(). */
function assertPortFree(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          error.code === 'EADDRINUSE' ? `port ${port} on ${host} is already in use` : `cannot listen on ${host}:${port}: ${error.message}`,
        ),
      ),
    );
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
