// Reading the agent turn over HTTP in tests: the REST form's server-sent events, parsed, and the
// typed client's subscription, collected until it ends.

import type { ApiClient } from '@personal-automations/client';
import type { AgentEvent } from '@personal-automations/contracts';
import type { SignedUp } from './helpers.ts';

export type StreamedFrame = { id: string | undefined; data: AgentEvent };

/** The SSE text as its events (comment lines such as pings left out). */
export function parseSse(text: string): StreamedFrame[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() && !block.startsWith(':'))
    .map((block) => {
      const fields = Object.fromEntries(
        block.split('\n').map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
      );
      return { id: fields.id, data: JSON.parse(fields.data ?? 'null') as AgentEvent };
    });
}

/** POST /api/v1/agent/run as `user`. */
export function postRun(baseUrl: string, user: SignedUp | null, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal) {
  return fetch(`${baseUrl}/api/v1/agent/run`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(user ? { authorization: `Bearer ${user.access_token}` } : {}), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal,
  });
}

/** The frames of `agent.run` over the typed client, up to the end of the stream. */
export function subscribeRun(api: ApiClient, input: Parameters<ApiClient['agent']['run']['subscribe']>[0]): Promise<StreamedFrame[]> {
  return new Promise((resolve, reject) => {
    const frames: StreamedFrame[] = [];
    api.agent.run.subscribe(input, {
      onData: ({ id, data }) => frames.push({ id, data }),
      onError: reject,
      onComplete: () => resolve(frames),
    });
  });
}
