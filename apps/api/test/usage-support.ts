// What both usage test files set up: the API with the fake model server (which reports usage
// figures with every answer), and agent sockets closed after each test.
import { afterAll, afterEach } from 'vitest';
import { FAKE_API_KEY, type FakeOpenAI, startFakeOpenAI } from '@personal-automations/testing/fake-openai';
import { AgentSocket } from './agent-socket.ts';
import { type SignedUp, type TestApp, useTestApp } from './helpers.ts';

export type AgentTestApp = { t: TestApp; fake: FakeOpenAI; open: (user: SignedUp) => Promise<AgentSocket> };

/** Call at the top of a test file: registers the hooks, returns the app, the fake and a socket opener. */
export async function useAgentTestApp(overrides: Record<string, string> = {}): Promise<AgentTestApp> {
  const fake = await startFakeOpenAI();
  afterAll(() => fake.close());
  afterEach(() => fake.reset());
  const t = useTestApp({ OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: FAKE_API_KEY, ...overrides });
  const sockets: AgentSocket[] = [];
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.ws.terminate();
  });
  const open = async (user: SignedUp) => {
    const socket = await AgentSocket.open(t.baseUrl, `?token=${user.access_token}`);
    sockets.push(socket);
    return socket;
  };
  return { t, fake, open };
}
