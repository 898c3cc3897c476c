// Children that talk over IPC (bench/agent/*.ts, bench/soak/*.ts): fork one and wait for its
// first message that says it is ready; ask one something and wait for the answer of that type.
import { type ChildProcess, fork } from 'node:child_process';

/** Forks `script` and resolves with its first message that `ready` accepts; a `failed` message or an early exit rejects. */
export function forkChild<M extends { type: string }>(
  script: string,
  env: NodeJS.ProcessEnv,
  ready: (m: M) => boolean,
  execArgv: string[] = [],
): { child: ChildProcess; started: Promise<M> } {
  const child = fork(script, [], { env, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const started = new Promise<M>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited during startup (code ${code})`)));
    child.on('message', (message: M) => {
      if (message.type === 'failed') reject(new Error(`${script} failed: ${JSON.stringify(message)}`));
      else if (ready(message)) resolve(message);
    });
  });
  return { child, started };
}

/** Sends `command` and resolves with the child's next message of type `type`. */
export function ask<M extends { type: string }>(child: ChildProcess, command: object, type: M['type']): Promise<M> {
  return new Promise((resolve) => {
    const onMessage = (message: M) => {
      if (message.type !== type) return;
      child.off('message', onMessage);
      resolve(message);
    };
    child.on('message', onMessage);
    child.send(command);
  });
}
