// Saving a message is one statement: the message, its tool calls, and the conversation's
// updated_at (= the message's created_at). An agent turn saves twice (its prompt, then its answer
// with the tool calls it made), and a thousand streaming sockets save hundreds of times a second:
// an interactive transaction would hold a pooled connection for four round trips each time, and
// past Prisma's wait for a transaction (2 s) a save under load would fail.

import type { MessageRole } from '@personal-automations/contracts';
import type { Database } from '@personal-automations/db';
import type { ToolCallRecord } from './conversations.ts';

export type NewMessage = { role: MessageRole; content: string; modelName: string | null; tokensUsed: number | null };

/** Inserts the message (and its tool calls) into the conversation and bumps it; returns the message id. */
export async function insertMessage(
  db: Database,
  conversationId: string,
  message: NewMessage,
  toolCalls: ToolCallRecord[],
): Promise<string> {
  const calls = <T>(pick: (call: ToolCallRecord) => T) => toolCalls.map(pick);
  const [row] = await db.$queryRaw<{ id: string }[]>`
    WITH message AS (
      INSERT INTO messages (conversation_id, role, content, model_name, tokens_used)
      VALUES (${conversationId}::uuid, ${message.role}, ${message.content}, ${message.modelName}, ${message.tokensUsed}::int)
      RETURNING id, created_at),
    touched AS (
      UPDATE conversations SET updated_at = (SELECT created_at FROM message) WHERE id = ${conversationId}::uuid),
    calls AS (
      INSERT INTO tool_calls (message_id, tool_call_id, tool_name, args, result, status, started_at, completed_at, duration_ms)
      SELECT (SELECT id FROM message), c.* FROM unnest(
        ${calls((c) => c.toolCallId.slice(0, 100))}::text[], ${calls((c) => c.toolName.slice(0, 100))}::text[],
        ${calls((c) => JSON.stringify(c.args))}::jsonb[], ${calls((c) => c.result)}::text[], ${calls((c) => c.status)}::text[],
        ${calls((c) => c.startedAt.toISOString())}::timestamptz[], ${calls((c) => c.completedAt?.toISOString() ?? null)}::timestamptz[],
        ${calls((c) => (c.completedAt ? c.completedAt.getTime() - c.startedAt.getTime() : null))}::int[]) AS c)
    SELECT id::text AS id FROM message`;
  return row!.id;
}
