// One agent WebSocket connection: its text history, its current conversation and its running
// turn. The transport hands it decoded frames and sends the events it emits.
import { z } from 'zod';
import { AgentCancelFrame, AgentMessageFrame, type AgentEvent, type HistoryEntry } from '@personal-automations/contracts';
import type { ConversationService } from '../conversations.ts';
import { BadRequestError } from '../errors.ts';
import type { Agent, EmitEvent } from './agent.ts';
import { toErrorEvent, type AgentLogger } from './errors.ts';

export const EMPTY_MESSAGE = 'Empty message';
export const TURN_IN_PROGRESS = 'A response is already in progress: wait for it or cancel it';
/** Sent as an `error` event when a cancel stops a turn (no `complete` follows, nothing of the answer is saved). */
export const CANCELLED = 'Cancelled';
/** A conversation created by the socket is titled with the start of its first message. */
const TITLE_CHARACTERS = 50;

export type AgentConnectionOptions = { userId: string; send: (event: AgentEvent) => void; log: AgentLogger };

/** `cancellable` turns false once the model has answered: from then on the turn is saved and completed. */
type Turn = { controller: AbortController; cancellable: boolean };

const describeIssue = (error: z.ZodError): string => {
  const issue = error.issues[0];
  if (!issue) return 'invalid frame';
  return issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message;
};

export class AgentConnection {
  private readonly agent: Agent;
  private readonly conversations: ConversationService;
  private readonly userId: string;
  private readonly send: (event: AgentEvent) => void;
  private readonly log: AgentLogger;
  /** Text of the earlier turns, sent to the model with each new one (never read from the database). */
  private history: HistoryEntry[] = [];
  private conversationId: string | null = null;
  private turn: Turn | null = null;
  private closed = false;

  constructor(agent: Agent, conversations: ConversationService, { userId, send, log }: AgentConnectionOptions) {
    this.agent = agent;
    this.conversations = conversations;
    this.userId = userId;
    this.send = send;
    this.log = log;
  }

  /** Handles one decoded client frame; the promise settles when the turn it started has ended. */
  receive(frame: unknown): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (AgentCancelFrame.safeParse(frame).success) {
      this.cancel();
      return Promise.resolve();
    }
    const parsed = AgentMessageFrame.safeParse(frame);
    if (!parsed.success) return this.reject(new BadRequestError(`Invalid message frame: ${describeIssue(parsed.error)}`));
    const prompt = parsed.data.message;
    if (!prompt?.trim()) return this.reject(new BadRequestError(EMPTY_MESSAGE));
    if (this.turn) return this.reject(new BadRequestError(TURN_IN_PROGRESS));
    const turn: Turn = { controller: new AbortController(), cancellable: true };
    this.turn = turn;
    return this.runTurn(turn, prompt, parsed.data);
  }

  /** Reports a failure that belongs to no turn (a frame the transport could not read). */
  reject(error: unknown): Promise<void> {
    if (!this.closed) this.send(toErrorEvent(error, this.log));
    return Promise.resolve();
  }

  /** The client went away: the running turn's model request is aborted. */
  close(): void {
    this.closed = true;
    this.turn?.controller.abort();
    this.turn = null;
  }

  private cancel(): void {
    const turn = this.turn;
    if (!turn?.cancellable) return;
    this.turn = null;
    turn.controller.abort();
    this.send({ type: 'error', data: { message: CANCELLED } });
  }

  private async runTurn(turn: Turn, prompt: string, frame: AgentMessageFrame): Promise<void> {
    const { signal } = turn.controller;
    // A cancelled turn goes quiet at once: the client has been told it ended.
    const emit: EmitEvent = (event) => {
      if (!signal.aborted) this.send(event);
    };
    try {
      if (frame.history) this.history = frame.history.map(({ role, content }) => ({ role, content }));
      const conversationId = await this.resolveConversation(frame.conversation_id, prompt, emit);
      signal.throwIfAborted(); // cancelled before it started: nothing of the turn is saved
      emit({ type: 'user_prompt', data: { content: prompt } });
      if (conversationId) await this.bestEffort('save the user message', () => this.conversations.saveUserPrompt(conversationId, prompt));
      emit({ type: 'user_prompt_processed', data: { prompt } });
      const result = await this.agent.run({ prompt, history: this.history, userId: this.userId, signal, emit });
      signal.throwIfAborted();
      turn.cancellable = false;
      if (conversationId) {
        await this.bestEffort('save the assistant message', () =>
          this.conversations.saveAssistantTurn(conversationId, {
            content: result.output,
            modelName: this.agent.model.name,
            tokensUsed: result.tokensUsed,
            toolCalls: result.toolCalls,
          }),
        );
      }
      this.history.push({ role: 'user', content: prompt }, { role: 'assistant', content: result.output });
      emit({ type: 'complete', data: { conversation_id: conversationId } });
    } catch (error) {
      if (!signal.aborted) this.send(toErrorEvent(error, this.log));
    } finally {
      if (this.turn === turn) this.turn = null;
    }
  }

  /**
   * The conversation this turn is saved in. A requested id is used when it is one of the
   * caller's conversations (anything else is ignored for saving, as in the original, and the
   * turn is not saved); without one, the connection's conversation, created on first use.
   */
  private async resolveConversation(requested: string | null | undefined, prompt: string, emit: EmitEvent): Promise<string | null> {
    if (requested) {
      const owned = await this.bestEffort('look up the conversation', () => this.conversations.findOwnedConversationId(this.userId, requested));
      if (owned) this.conversationId = owned;
      return owned;
    }
    if (this.conversationId) return this.conversationId;
    const title = Array.from(prompt).slice(0, TITLE_CHARACTERS).join('');
    const created = await this.bestEffort('create a conversation', () => this.conversations.createConversation(this.userId, { title }));
    if (!created) return null;
    this.conversationId = created.id;
    emit({ type: 'conversation_created', data: { conversation_id: created.id } });
    return created.id;
  }

  /** Saving is best-effort, as in the original: a database failure is logged and the turn goes on unsaved. */
  private async bestEffort<T>(what: string, action: () => Promise<T>): Promise<T | null> {
    try {
      return await action();
    } catch (error) {
      this.log.error({ err: error }, `agent: could not ${what}`);
      return null;
    }
  }
}

/** Opens connections that share one agent (model + tools) and the conversation store. */
export class AgentService {
  private readonly agent: Agent;
  private readonly conversations: ConversationService;

  constructor({ agent, conversations }: { agent: Agent; conversations: ConversationService }) {
    this.agent = agent;
    this.conversations = conversations;
  }

  connect(options: AgentConnectionOptions): AgentConnection {
    return new AgentConnection(this.agent, this.conversations, options);
  }
}
