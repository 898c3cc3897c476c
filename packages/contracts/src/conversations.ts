// Conversations, messages, tool calls, and the frames of the agent WebSocket (WS /ws/agent).
import { z } from 'zod';
import { DateTime, idParam, listOf, skipLimitQuery, stripped, Text, UuidString } from './common.ts';
import { boundedString, boundedText, MAX_MESSAGE_CHARS, MAX_TOKENS_USED, maxChars } from './limits.ts';

export const ConversationRead = z
  .object({
    id: UuidString,
    user_id: UuidString.nullable(),
    title: z.string().nullable(),
    is_archived: z.boolean(),
    created_at: DateTime,
    updated_at: DateTime.nullable().meta({ description: 'null until the first update or message' }),
  })
  .meta({ id: 'ConversationRead' });
export type ConversationRead = z.infer<typeof ConversationRead>;

/** The body may be absent; a `user_id` sent is ignored (the caller owns the conversation). */
export const ConversationCreate = z
  .object({ title: stripped(255).nullable().optional().meta({ example: 'Trip planning' }) })
  .meta({ id: 'ConversationCreate' });
export type ConversationCreate = z.infer<typeof ConversationCreate>;

export const ConversationUpdate = z
  .object({
    title: stripped(255).nullable().optional(),
    is_archived: z.boolean().optional(),
  })
  .meta({ id: 'ConversationUpdate' });
export type ConversationUpdate = z.infer<typeof ConversationUpdate>;

/** `rejected`: the call needed the user's approval (AGENT_APPROVAL_TOOLS) and was refused, or not answered in time; it did not run. */
export const ToolCallStatus = z.enum(['pending', 'running', 'completed', 'failed', 'rejected']);
export type ToolCallStatus = z.infer<typeof ToolCallStatus>;

export const ToolCallRead = z
  .object({
    id: UuidString,
    message_id: UuidString,
    tool_call_id: z.string(),
    tool_name: z.string(),
    args: z.record(z.string(), z.unknown()),
    result: z.string().nullable(),
    status: ToolCallStatus,
    started_at: DateTime,
    completed_at: DateTime.nullable(),
    duration_ms: z.number().int().nullable(),
  })
  .meta({ id: 'ToolCallRead' });
export type ToolCallRead = z.infer<typeof ToolCallRead>;

export const MessageRole = z.enum(['user', 'assistant', 'system']);
export type MessageRole = z.infer<typeof MessageRole>;

export const MessageReadSimple = z
  .object({
    id: UuidString,
    conversation_id: UuidString,
    role: MessageRole,
    content: z.string(),
    model_name: z.string().nullable(),
    tokens_used: z.number().int().nullable(),
    created_at: DateTime,
    updated_at: DateTime.nullable(),
  })
  .meta({ id: 'MessageReadSimple' });
export type MessageReadSimple = z.infer<typeof MessageReadSimple>;

export const MessageRead = MessageReadSimple.extend({ tool_calls: z.array(ToolCallRead) }).meta({ id: 'MessageRead' });
export type MessageRead = z.infer<typeof MessageRead>;

export const MessageCreate = z
  .object({
    role: MessageRole,
    content: Text.overwrite((s) => s.trim()).max(MAX_MESSAGE_CHARS, maxChars(MAX_MESSAGE_CHARS)),
    model_name: stripped(100).nullable().optional(),
    tokens_used: z.number().int().gte(0).lte(MAX_TOKENS_USED).nullable().optional(),
  })
  .meta({ id: 'MessageCreate' });
export type MessageCreate = z.infer<typeof MessageCreate>;

export const ConversationDetail = ConversationRead.extend({
  messages: z
    .array(MessageRead)
    .meta({ description: 'the newest CONVERSATION_DETAIL_MAX_MESSAGES (default 100), oldest first; tool calls ordered by started_at' }),
}).meta({ id: 'ConversationWithMessages' });
export type ConversationDetail = z.infer<typeof ConversationDetail>;

export const ConversationIdParam = idParam('conversation_id');

/** Newest activity first (updated_at descending, never-updated conversations first). */
export const ConversationListQuery = skipLimitQuery(50, 100).extend({
  include_archived: z.boolean().default(false).meta({ description: 'also list archived conversations' }),
});
export type ConversationListQuery = z.infer<typeof ConversationListQuery>;
export const ConversationList = listOf(ConversationRead, 'ConversationList');
export type ConversationList = z.infer<typeof ConversationList>;

/** tRPC callers may omit the body entirely, as REST callers may. */
export const ConversationCreateInput = ConversationCreate.optional();
export const ConversationUpdateInput = ConversationIdParam.extend(ConversationUpdate.shape);
export type ConversationUpdateInput = z.infer<typeof ConversationUpdateInput>;

export const MessageListQuery = skipLimitQuery(100, 500);
export type MessageListQuery = z.infer<typeof MessageListQuery>;
export const MessageListInput = ConversationIdParam.extend(MessageListQuery.shape);
export const MessageList = listOf(MessageReadSimple, 'MessageList');
export type MessageList = z.infer<typeof MessageList>;
export const MessageCreateInput = ConversationIdParam.extend(MessageCreate.shape);
export type MessageCreateInput = z.infer<typeof MessageCreateInput>;

// ---- agent WebSocket: client → server ----------------------------------------------------

export const HistoryEntry = z.object({ role: MessageRole, content: boundedString(MAX_MESSAGE_CHARS) });
export type HistoryEntry = z.infer<typeof HistoryEntry>;

/**
 * One turn: `message` (an empty one is answered with an "Empty message" error event, an
 * over-long one, or an over-long history entry, with an "Invalid message frame" one), an
 * optional `history` that replaces the connection's own, an optional conversation to save into
 * (an unknown id, or another user's, is ignored for saving).
 */
export const AgentMessageFrame = z.object({
  message: boundedText(MAX_MESSAGE_CHARS).nullable().optional(),
  history: z.array(HistoryEntry).optional(),
  conversation_id: z.string().nullable().optional(),
});
export type AgentMessageFrame = z.infer<typeof AgentMessageFrame>;

/** Stops the running turn. */
export const AgentCancelFrame = z.object({ type: z.literal('cancel') });
export type AgentCancelFrame = z.infer<typeof AgentCancelFrame>;

/** An event id as the server sends it: the turn's sequence number of the event, from 1. */
export const AgentEventId = z.union([z.string().regex(/^\d{1,15}$/, 'expected an event id'), z.number().int().min(0)]);

/**
 * Picks up a turn of one of the caller's conversations after a dropped socket, on any API process:
 * the events after `last_event_id` (all of them without it), then the live rest, up to `complete`
 * or `error`. An unknown, expired or another user's turn is answered with one `error` event.
 */
export const AgentResumeStreamFrame = z.object({
  type: z.literal('resume_stream'),
  conversation_id: z.string().max(100),
  last_event_id: AgentEventId.nullable().optional(),
});
export type AgentResumeStreamFrame = z.infer<typeof AgentResumeStreamFrame>;

/**
 * A tool call put to the user for approval: its id and tool as the model gave them, and its
 * arguments as a JSON object (`{"_raw_args": "<text>"}` when the model's text is not one). An `edit`
 * decision sends it back with the arguments the user wants run instead.
 */
export const AgentActionRequest = z.object({
  id: z.string().max(200),
  tool_name: z.string().max(200),
  args: z.record(z.string(), z.unknown()),
});
export type AgentActionRequest = z.infer<typeof AgentActionRequest>;

/** The user's answer to one action request: run it, do not run it, or run it with other arguments. */
export const AgentDecision = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('approve') }),
    z.object({ type: z.literal('reject') }),
    z.object({ type: z.literal('edit'), edited_action: AgentActionRequest }),
  ],
  { error: 'expected "approve", "reject" or "edit"' },
);
export type AgentDecision = z.infer<typeof AgentDecision>;

/**
 * Answers a turn paused by `tool_approval_required`: one decision per action request, in their
 * order, on any socket of the same user on any API process. `conversation_id` defaults to the
 * conversation of the socket's running turn, or of the turn its `resume_stream` follows.
 */
export const AgentResumeFrame = z.object({
  type: z.literal('resume'),
  decisions: z.array(AgentDecision),
  conversation_id: z.string().max(100).nullable().optional(),
});
export type AgentResumeFrame = z.infer<typeof AgentResumeFrame>;

// ---- agent WebSocket: server → client (every frame is {type, data}) -------------------------

const event = <T extends string, D extends z.ZodRawShape>(type: T, data: D) => z.object({ type: z.literal(type), data: z.object(data) });

export const AgentEvent = z
  .discriminatedUnion('type', [
    event('conversation_created', { conversation_id: z.string() }),
    event('user_prompt', { content: z.string() }),
    event('user_prompt_processed', { prompt: z.string() }),
    event('model_request_start', {}),
    event('part_start', { index: z.number().int(), part_type: z.enum(['TextPart', 'ToolCallPart']) }),
    event('text_delta', { index: z.number().int(), content: z.string() }),
    event('tool_call_delta', { index: z.number().int(), args_delta: z.string() }),
    event('final_result_start', { tool_name: z.string().nullable() }),
    event('call_tools_start', {}),
    event('tool_call', { tool_name: z.string(), args: z.string(), tool_call_id: z.string() }),
    event('tool_result', { tool_call_id: z.string(), content: z.string() }),
    // the turn waits for a `resume` frame deciding each request (AGENT_APPROVAL_TOOLS), then goes on with `resume_start`
    event('tool_approval_required', {
      action_requests: z.array(AgentActionRequest),
      review_configs: z.array(z.object({ tool_name: z.string(), allow_edit: z.boolean() })),
    }),
    event('resume_start', {}),
    event('final_result', { output: z.string() }),
    event('complete', { conversation_id: z.string().nullable() }),
    event('error', { message: z.string() }),
  ])
  .meta({ id: 'AgentEvent' });
export type AgentEvent = z.infer<typeof AgentEvent>;
export type AgentEventType = AgentEvent['type'];
/**
 * An event as a frame: the events of a turn saved in a conversation also carry `id` (its sequence
 * number in the turn, a string), which a `resume_stream` frame names to pick up after it. Clients
 * that read only `type` and `data` (the original frontend) are unaffected.
 */
export type AgentEventFrame = AgentEvent & { id?: string };
/** The events that end a turn: nothing of it follows them. */
export const endsTurn = (event: AgentEvent): boolean => event.type === 'complete' || event.type === 'error';
