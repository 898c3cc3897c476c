import { tracked } from '@trpc/server';
import { z } from 'zod';
import { AgentDecisionsInput, AgentEvent, AgentRunInput } from '@personal-automations/contracts';
import type { StreamedEvent } from '@personal-automations/services';
import { authedProcedure, router } from '../trpc.ts';

/** The turn's events, each with its id (a reconnecting client names the last one it got). */
async function* trackedEvents(events: AsyncIterable<StreamedEvent>) {
  for await (const { id, event } of events) yield tracked<AgentEvent>(id, event);
}

export const agentRouter = router({
  /**
   * One agent turn, streamed: the WebSocket's events, each `tracked` with its id. The turn is
   * admitted before the stream starts (turn budget, daily token quota, sockets and streams per
   * user: TOO_MANY_REQUESTS); unsubscribing cancels it (nothing of its answer is saved).
   */
  run: authedProcedure
    .meta({
      stream: {
        method: 'POST',
        path: '/agent/run',
        tags: ['agent'],
        summary: 'Run an agent turn, streamed as server-sent events',
        description:
          'The agent turn of the WebSocket, over plain HTTP: the same event frames, as server-sent events. Refusals come ' +
          'before the first event: 429 with the error envelope for the turn budget (AGENT_TURNS_PER_MINUTE), the daily ' +
          'token quota ("Daily token quota exceeded") and the sockets and streams per user (AGENT_MAX_SOCKETS_PER_USER); 400 ' +
          'for an empty message. Closing the stream cancels the turn (nothing of its answer is saved).',
        events: AgentEvent,
      },
      errorStatuses: [400],
    })
    .input(AgentRunInput)
    .subscription(async ({ ctx, input, signal }) => {
      const events = await ctx.services.agent.stream({
        userId: ctx.user.id,
        message: input.message,
        conversationId: input.conversation_id,
        lastEventId: input.lastEventId,
        signal: signal ?? new AbortController().signal,
        log: ctx.log,
      });
      return trackedEvents(events);
    }),
  /**
   * Answers a turn paused by `tool_approval_required` (the WebSocket's `resume` frame, for a client
   * that streams the turn over HTTP); the turn goes on, on whichever process it runs.
   */
  resume: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/agent/resume',
        tags: ['agent'],
        summary: "Answer a turn's tool approval request",
        description:
          'One decision per action request of the `tool_approval_required` event, in their order: `approve`, `reject` or ' +
          '`edit` (with `edited_action`: the same `id` and `tool_name`, other `args`). 400 when no approval of the ' +
          'caller\'s is pending in that conversation ("No tool approval pending": also for another user\'s), or when the ' +
          'count or an edited id does not match.',
      },
      successStatus: 204,
      errorStatuses: [400],
    })
    .input(AgentDecisionsInput)
    .output(z.void())
    .mutation(({ ctx, input }) => ctx.services.agentApprovals.decide(ctx.user.id, input.conversation_id, input.decisions)),
});
