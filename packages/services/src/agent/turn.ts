// One agent turn, whatever carries it (the WebSocket, the tRPC subscription over SSE): admitted
// against the user's turn budget and daily token quota, saved in its conversation (the user's
// message, then the answer with its tool calls), its events kept for a resume once it has a
// conversation, and reported as the contract's events. The transport says where the events go,
// which conversation and history the turn has, and when it is cancelled.
import { type AgentEvent, type AgentEventFrame, endsTurn, type HistoryEntry } from '@personal-automations/contracts';
import type { ConversationService } from '../conversations.ts';
import { RateLimitError } from '../errors.ts';
import type { RateLimits } from '../limits/rate-limits.ts';
import type { UsageService } from '../usage.ts';
import type { Agent, EmitEvent } from './agent.ts';
import { type AgentLogger, toErrorEvent } from './errors.ts';
import type { TurnLog, TurnWriter } from './turn-log.ts';
import { TurnMeter } from './turn-meter.ts';

/** Sent as an `error` event when a cancel stops a turn (no `complete` follows, nothing of the answer is saved). */
export const CANCELLED = 'Cancelled';
/** A message with no text: refused before anything of the turn starts. */
export const EMPTY_MESSAGE = 'Empty message';
/** Sent as an `error` event when a client reads the answer too slowly (AGENT_MAX_BUFFERED_BYTES): the turn is cancelled. */
export const CLIENT_TOO_SLOW = 'Cancelled: the client is not reading the answer fast enough';
/** A conversation created for a turn is titled with the start of its first message. */
const TITLE_CHARACTERS = 50;

export const turnsExceeded = (max: number, retryAfterSeconds: number): string =>
  `Too many agent turns: at most ${max} per minute; try again in ${retryAfterSeconds} seconds`;

export type TurnDeps = {
  agent: Agent;
  conversations: ConversationService;
  rateLimits: RateLimits;
  /** The daily token quota, checked before each turn. */
  usage: Pick<UsageService, 'admitTurn'>;
  /** Where the turns' events are kept for a resume. */
  turnLog: TurnLog;
};

/** The conversation a turn is saved in (null: answered, not saved), and whether the turn created it. */
export type ResolvedConversation = { conversationId: string | null; created: boolean };

/** What the transport decides about a turn. */
export type TurnPlan = {
  userId: string;
  prompt: string;
  /** The turn's conversation, resolved once the turn is admitted (creating one is saving something). */
  conversation: () => Promise<ResolvedConversation>;
  /** The earlier turns sent to the model with this one, oldest first, once the conversation is known. */
  history: (conversationId: string | null) => Promise<HistoryEntry[]> | HistoryEntry[];
  /** A check of the transport's own before the turn budget is drawn on; false ends the turn without an event. */
  stillAllowed?: () => Promise<boolean>;
  /** The transport admitted the turn itself ({@link admitTurn}), before answering its request. */
  admitted?: boolean;
  log: AgentLogger;
};

/** A turn that reached `complete`: where it was saved, and the text the model answered. */
export type CompletedTurn = { conversationId: string | null; output: string };

/**
 * A running turn. `cancellable` turns false once the model has answered: from then on the turn is
 * saved and completed. Its events are kept (`log`) once it has a conversation.
 */
export class AgentTurn {
  readonly controller = new AbortController();
  private cancellable = true;
  private log: TurnWriter | undefined;
  private logEnded = false;
  private readonly send: (frame: AgentEventFrame) => void;

  constructor(send: (frame: AgentEventFrame) => void) {
    this.send = send;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Whether the turn's events are kept (only such a turn can be resumed). */
  get kept(): boolean {
    return this.log !== undefined;
  }

  keepIn(log: TurnWriter): void {
    this.log = log;
  }

  answered(): void {
    this.cancellable = false;
  }

  /** Sends one event, with its id when the turn's events are kept. */
  publish(event: AgentEvent): void {
    const id = this.log?.append(event);
    this.logEnded ||= endsTurn(event);
    this.send(id === undefined ? event : { ...event, id });
  }

  /** Stops the turn and says why; false when it can no longer be cancelled (it is being saved). */
  cancel(message = CANCELLED): boolean {
    if (!this.cancellable) return false;
    this.controller.abort();
    this.publish({ type: 'error', data: { message } });
    return true;
  }

  /** Stops the turn without a word to the client (it has gone, or its login ended). */
  abort(): void {
    this.controller.abort();
  }

  /**
   * A kept turn that stopped without an ending event (aborted) gets one in the log only, so a
   * resume hears that it ended and its events expire after the TTL like any other turn's.
   */
  closeLog(): void {
    if (this.log && !this.logEnded) this.log.append({ type: 'error', data: { message: CANCELLED } });
  }
}

/** Runs one turn to its end; the completed turn, or undefined when it failed, was refused or was cancelled. */
export async function runTurn(deps: TurnDeps, turn: AgentTurn, plan: TurnPlan): Promise<CompletedTurn | undefined> {
  const { signal } = turn;
  const meter = new TurnMeter();
  let failure: unknown;
  // A cancelled turn goes quiet at once: the client has been told it ended.
  const emit: EmitEvent = (event) => {
    meter.saw(event);
    if (!signal.aborted) turn.publish(event);
  };
  try {
    if (!(await admit(deps, plan))) return void meter.refused();
    signal.throwIfAborted();
    const { conversationId, created } = await plan.conversation();
    const history = await plan.history(conversationId);
    signal.throwIfAborted(); // cancelled before it started: nothing of the turn is saved
    if (conversationId) turn.keepIn(deps.turnLog.start(conversationId, plan.userId, plan.log));
    if (created && conversationId) emit({ type: 'conversation_created', data: { conversation_id: conversationId } });
    emit({ type: 'user_prompt', data: { content: plan.prompt } });
    if (conversationId)
      await bestEffort(plan.log, 'save the user message', () => deps.conversations.saveUserPrompt(conversationId, plan.prompt));
    emit({ type: 'user_prompt_processed', data: { prompt: plan.prompt } });
    const result = await deps.agent.run({ prompt: plan.prompt, history, userId: plan.userId, conversationId, signal, emit });
    signal.throwIfAborted();
    turn.answered();
    if (conversationId) {
      await bestEffort(plan.log, 'save the assistant message', () =>
        deps.conversations.saveAssistantTurn(conversationId, {
          content: result.output,
          modelName: deps.agent.model.name,
          tokensUsed: result.tokensUsed,
          toolCalls: result.toolCalls,
        }),
      );
    }
    emit({ type: 'complete', data: { conversation_id: conversationId } });
    meter.completed();
    return { conversationId, output: result.output };
  } catch (error) {
    failure = error;
    if (!signal.aborted) turn.publish(toErrorEvent(error, plan.log));
    return undefined;
  } finally {
    meter.end(signal, failure);
    turn.closeLog();
  }
}

/**
 * Whether the turn may start; checked before anything of it is saved (unless the transport did):
 * the transport's own check first; a spent turn budget or daily token quota refuses this turn (a
 * RateLimitError).
 */
async function admit(deps: TurnDeps, plan: TurnPlan): Promise<boolean> {
  if (plan.admitted) return true;
  if (plan.stillAllowed && !(await plan.stillAllowed())) return false;
  await admitTurn(deps, plan.userId);
  return true;
}

/** Draws one turn from the user's turn budget and checks the daily token quota: a RateLimitError when either is spent. */
export async function admitTurn(deps: Pick<TurnDeps, 'rateLimits' | 'usage'>, userId: string): Promise<void> {
  const draw = await deps.rateLimits.consume('agentTurns', `user:${userId}`);
  if (draw.counted && !draw.allowed) throw new RateLimitError(turnsExceeded(draw.limit, draw.resetSeconds), draw.resetSeconds);
  await deps.usage.admitTurn(userId);
}

/**
 * The conversation a turn without one is saved in: a new one of the user's, titled with the start
 * of the message; none (answered, not saved) when it could not be created.
 */
export async function newConversation(deps: Pick<TurnDeps, 'conversations'>, plan: Pick<TurnPlan, 'userId' | 'prompt' | 'log'>) {
  const title = Array.from(plan.prompt).slice(0, TITLE_CHARACTERS).join('');
  const created = await bestEffort(plan.log, 'create a conversation', () => deps.conversations.create(plan.userId, { title }));
  return created ? { conversationId: created.id, created: true } : { conversationId: null, created: false };
}

/** Saving is best-effort: a database failure is logged and the turn goes on unsaved, since the answer matters more than its record. */
export async function bestEffort<T>(log: AgentLogger, what: string, action: () => Promise<T>): Promise<T | null> {
  try {
    return await action();
  } catch (error) {
    log.error({ err: error }, `agent: could not ${what}`);
    return null;
  }
}
