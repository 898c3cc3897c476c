// The agent turn over HTTP: the tRPC subscription `agent.run` (SSE at /trpc) and its REST form
// (POST {API_V1_STR}/agent/run, SSE). Both stream the WebSocket's event frames (AgentEvent).
import { z } from 'zod';
import { AgentDecision } from './conversations.ts';
import { boundedText, MAX_MESSAGE_CHARS } from './limits.ts';

/** The last event id a client got: `<conversation id>:<event id>`, as the stream sends them. */
export const AgentStreamEventId = z.string().max(200);

/**
 * One turn: `message` (an empty one is a 400), an optional conversation of the caller's to go on
 * with (its saved messages are the history; an unknown id, or another user's, is answered
 * unsaved, as over the WebSocket), else a new conversation. `lastEventId` (tRPC sends it when
 * it reconnects) asks for the rest of that turn instead of a new one.
 */
export const AgentRunInput = z
  .object({
    message: boundedText(MAX_MESSAGE_CHARS),
    conversation_id: z.string().max(100).nullable().optional(),
    lastEventId: AgentStreamEventId.nullable().optional(),
  })
  .meta({ id: 'AgentRunInput' });
export type AgentRunInput = z.infer<typeof AgentRunInput>;

/**
 * The user's decisions on a turn paused by `tool_approval_required`, for a client that streams
 * the turn over HTTP (a WebSocket client sends the `resume` frame instead): one per action
 * request, in their order. The turn goes on wherever it runs.
 */
export const AgentDecisionsInput = z
  .object({
    conversation_id: z.string().max(100),
    decisions: z.array(AgentDecision).max(100),
  })
  .meta({ id: 'AgentDecisionsInput' });
export type AgentDecisionsInput = z.infer<typeof AgentDecisionsInput>;
