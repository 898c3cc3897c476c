// What both tool-approval test files set up: the API with AGENT_APPROVAL_TOOLS naming
// current_datetime, the fake model server (a question about the time asks for that tool), a
// second API process on the same PostgreSQL and Redis (the same app when embedded: approvals and
// turns are then kept in one process's memory), and agent sockets closed after each test.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, expect } from 'vitest';
import type { AgentEvent } from '@personal-automations/contracts';
import type { Database } from '@personal-automations/db';
import { FAKE_API_KEY, type FakeOpenAI, startFakeOpenAI } from '@personal-automations/testing/fake-openai';
import { buildApp } from '../src/app.ts';
import { AgentSocket } from './agent-socket.ts';
import { embedded, type SignedUp, signUp, type TestApp, testSettings, useTestApp } from './helpers.ts';
import { dropProjectKeys } from './rate-limit-support.ts';

export type ApprovalRequired = Extract<AgentEvent, { type: 'tool_approval_required' }>;
export type Process = { app: FastifyInstance; url: string; user: SignedUp };

export type ApprovalTestApp = {
  t: TestApp;
  fake: FakeOpenAI;
  /** A socket of `who` (the file's user by default) on `server` (the file's app by default). */
  open: (server?: string, who?: SignedUp) => Promise<AgentSocket>;
  /** Another API process with these settings besides the file's, and a user of its own. */
  anotherProcess: (overrides?: Record<string, string>) => Promise<Process>;
  user: () => SignedUp;
};

export const DATETIME = /^Current date: \d{4}-\d\d-\d\d, Current time: \d\d:\d\d:\d\d$/;

/** Call at the top of a test file: registers the hooks, returns the app, the fake and the openers. */
export async function useApprovalTestApp(overrides: Record<string, string> = {}): Promise<ApprovalTestApp> {
  const fake = await startFakeOpenAI();
  afterAll(() => fake.close());
  afterEach(() => fake.reset());
  // a PROJECT_NAME of its own: this file's approvals and turn streams, removed at the end
  const settings = {
    OPENAI_BASE_URL: fake.baseUrl,
    OPENAI_API_KEY: FAKE_API_KEY,
    PROJECT_NAME: `agent-approval-test-${randomUUID()}`,
    AGENT_APPROVAL_TOOLS: 'current_datetime',
    ...overrides,
  };
  const t = useTestApp(settings);
  const apps: FastifyInstance[] = [];
  const sockets: AgentSocket[] = [];
  let user: SignedUp | undefined;
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.ws.terminate();
  });
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await dropProjectKeys(t, settings.PROJECT_NAME);
  });
  /** The file's user, signed up on first use. */
  const fileUser = async () => {
    user ??= await signUp(t);
    return user;
  };
  const open = async (server = t.baseUrl, who?: SignedUp) => {
    const socket = await AgentSocket.open(server, `?token=${(who ?? (await fileUser())).access_token}`);
    sockets.push(socket);
    return socket;
  };
  const anotherProcess = async (more: Record<string, string> = {}) => {
    const app = await buildApp({ settings: testSettings(t.databaseUrl, { ...settings, ...more }) });
    apps.push(app);
    await app.listen({ host: '127.0.0.1', port: 0 });
    // embedded, each app has a database of its own: a user of its own
    const own = embedded ? await signUp({ app, db: app.platform.db } as TestApp) : await fileUser();
    return { app, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, user: own };
  };
  return { t, fake, open, anotherProcess, user: () => user! };
}

/** Sends `message` and reads the turn's events up to its `tool_approval_required`. */
export async function pausedTurn(socket: AgentSocket, frame: Record<string, unknown> = { message: 'What time is it?' }) {
  socket.send(frame);
  const events = await socket.until('tool_approval_required', 'complete', 'error');
  const required = events.at(-1);
  if (required?.type !== 'tool_approval_required') throw new Error(`no approval asked: ${JSON.stringify(events)}`);
  return { events, required, conversationId: conversationOf(events) };
}

export const conversationOf = (events: AgentEvent[]): string => {
  const named = events.find((e) => e.type === 'conversation_created' || e.type === 'complete') as
    | { data: { conversation_id: string | null } }
    | undefined;
  if (!named?.data.conversation_id) throw new Error(`no conversation in ${JSON.stringify(events.map((e) => e.type))}`);
  return named.data.conversation_id;
};

export const savedMessages = (db: Database, conversationId: string) =>
  db.message.findMany({ where: { conversationId }, orderBy: { createdAt: 'asc' }, include: { toolCalls: true } });

export const approve = (count = 1) => ({ type: 'resume', decisions: Array.from({ length: count }, () => ({ type: 'approve' })) });

/** The rest of a turn whose one call `id` was rejected: `resume_start`, the call and its rejection, on to `complete`. */
export function expectRejectedRest(rest: AgentEvent[], id: string, rejection: string): void {
  expect(rest.slice(0, 3)).toEqual([
    { type: 'resume_start', data: {} },
    { type: 'tool_call', data: { tool_name: 'current_datetime', args: '{}', tool_call_id: id } },
    { type: 'tool_result', data: { tool_call_id: id, content: rejection } },
  ]);
  expect(rest.at(-1)?.type).toBe('complete');
}
