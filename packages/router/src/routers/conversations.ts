import { z } from 'zod';
import {
  ConversationCreateInput,
  ConversationDetail,
  ConversationIdParam,
  ConversationList,
  ConversationListQuery,
  ConversationRead,
  ConversationUpdateInput,
  MessageCreateInput,
  MessageList,
  MessageListInput,
  MessageRead,
} from '@personal-automations/contracts';
import { authedProcedure, router } from '../trpc.ts';

const tags = ['conversations'];
const byId = '/conversations/{conversation_id}';

/** Only the owner reaches a conversation; another user's is "Conversation not found" (404). */
export const conversationsRouter = router({
  list: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/conversations', tags, summary: "List the caller's conversations" } })
    .input(ConversationListQuery)
    .output(ConversationList)
    .query(({ ctx, input }) => ctx.services.conversations.list(ctx.user.id, input)),
  create: authedProcedure
    .meta({
      openapi: { method: 'POST', path: '/conversations', tags, summary: 'Create conversation', description: 'The body may be absent.' },
      successStatus: 201,
    })
    .input(ConversationCreateInput)
    .output(ConversationRead)
    .mutation(({ ctx, input }) => ctx.services.conversations.create(ctx.user.id, input)),
  get: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: byId,
        tags,
        summary: 'Get conversation with messages',
        description:
          'The conversation with its newest CONVERSATION_DETAIL_MAX_MESSAGES messages (100 by default), oldest first, each with its tool calls. ' +
          'The whole history is paged by GET /conversations/{conversation_id}/messages.',
      },
    })
    .input(ConversationIdParam)
    .output(ConversationDetail)
    .query(({ ctx, input }) => ctx.services.conversations.get(ctx.user.id, input.conversation_id)),
  update: authedProcedure
    .meta({ openapi: { method: 'PATCH', path: byId, tags, summary: 'Update conversation' } })
    .input(ConversationUpdateInput)
    .output(ConversationRead)
    .mutation(({ ctx, input: { conversation_id, ...changes } }) =>
      ctx.services.conversations.update(ctx.user.id, conversation_id, changes),
    ),
  delete: authedProcedure
    .meta({ openapi: { method: 'DELETE', path: byId, tags, summary: 'Delete conversation (with its messages)' }, successStatus: 204 })
    .input(ConversationIdParam)
    .output(z.void())
    .mutation(({ ctx, input }) => ctx.services.conversations.delete(ctx.user.id, input.conversation_id)),
  archive: authedProcedure
    .meta({ openapi: { method: 'POST', path: `${byId}/archive`, tags, summary: 'Archive conversation' } })
    .input(ConversationIdParam)
    .output(ConversationRead)
    .mutation(({ ctx, input }) => ctx.services.conversations.archive(ctx.user.id, input.conversation_id)),
  messages: authedProcedure
    .meta({ openapi: { method: 'GET', path: `${byId}/messages`, tags, summary: 'List messages (oldest first)' } })
    .input(MessageListInput)
    .output(MessageList)
    .query(({ ctx, input: { conversation_id, ...page } }) => ctx.services.conversations.listMessages(ctx.user.id, conversation_id, page)),
  addMessage: authedProcedure
    .meta({ openapi: { method: 'POST', path: `${byId}/messages`, tags, summary: 'Add message' }, successStatus: 201 })
    .input(MessageCreateInput)
    .output(MessageRead)
    .mutation(({ ctx, input: { conversation_id, ...message } }) =>
      ctx.services.conversations.addMessage(ctx.user.id, conversation_id, message),
    ),
});
