import type {
  ConversationCreate,
  ConversationDetail,
  ConversationList,
  ConversationListQuery,
  ConversationRead,
  ConversationUpdate,
  HistoryEntry,
  MessageCreate,
  MessageList,
  MessageListQuery,
  MessageRead,
  MessageReadSimple,
  MessageRole,
  ToolCallRead,
  ToolCallStatus,
} from '@personal-automations/contracts';
import type { Conversation, Database, Message, Prisma, ToolCall } from '@personal-automations/db';
import { NotFoundError } from './errors.ts';
import { publishEvent } from './events.ts';
import { insertMessage } from './message-writes.ts';
import { listWindow } from './pagination.ts';
import { isoOffset, isoOffsetOrNull } from './serialize.ts';

export const toConversationRead = (row: Conversation): ConversationRead => ({
  id: row.id,
  user_id: row.userId,
  title: row.title,
  is_archived: row.isArchived,
  created_at: isoOffset(row.createdAt),
  updated_at: isoOffsetOrNull(row.updatedAt),
});

export const toMessageReadSimple = (row: Message): MessageReadSimple => ({
  id: row.id,
  conversation_id: row.conversationId,
  role: row.role as MessageRole,
  content: row.content,
  model_name: row.modelName,
  tokens_used: row.tokensUsed,
  created_at: isoOffset(row.createdAt),
  updated_at: isoOffsetOrNull(row.updatedAt),
});

export const toToolCallRead = (row: ToolCall): ToolCallRead => ({
  id: row.id,
  message_id: row.messageId,
  tool_call_id: row.toolCallId,
  tool_name: row.toolName,
  args: (row.args ?? {}) as Record<string, unknown>,
  result: row.result,
  status: row.status as ToolCallStatus,
  started_at: isoOffset(row.startedAt),
  completed_at: isoOffsetOrNull(row.completedAt),
  duration_ms: row.durationMs,
});

export const toMessageRead = (row: Message & { toolCalls: ToolCall[] }): MessageRead => ({
  ...toMessageReadSimple(row),
  tool_calls: row.toolCalls.map(toToolCallRead),
});

/** A tool call the agent ran during a turn, saved with the turn's assistant message. */
export type ToolCallRecord = {
  toolCallId: string;
  toolName: string;
  args: Record<string, unknown>;
  result: string | null;
  status: ToolCallStatus;
  startedAt: Date;
  completedAt: Date | null;
};

export type AssistantTurn = { content: string; modelName: string | null; tokensUsed: number | null; toolCalls: ToolCallRecord[] };

/** Most recently updated first; never-updated ones first, as PostgreSQL sorts nulls. */
const CONVERSATION_ORDER = [
  { updatedAt: { sort: 'desc', nulls: 'first' } },
  { createdAt: 'desc' },
  { id: 'asc' },
] satisfies Prisma.ConversationOrderByWithRelationInput[];
/** Messages in conversation order (created_at has microsecond precision in the database). */
const MESSAGE_ORDER = [{ createdAt: 'asc' }, { id: 'asc' }] satisfies Prisma.MessageOrderByWithRelationInput[];
const NEWEST_MESSAGES_FIRST = [{ createdAt: 'desc' }, { id: 'desc' }] satisfies Prisma.MessageOrderByWithRelationInput[];
const TOOL_CALL_ORDER = [{ startedAt: 'asc' }, { id: 'asc' }] satisfies Prisma.ToolCallOrderByWithRelationInput[];

export type ConversationServiceOptions = {
  /** CONVERSATION_DETAIL_MAX_MESSAGES: how many of the newest messages the detail carries. */
  detailMaxMessages: number;
};

/**
 * Conversations and their messages. Every method takes the caller's id: another user's
 * conversation is reported exactly like a missing one (404).
 */
export class ConversationService {
  private readonly db: Database;
  private readonly options: ConversationServiceOptions;
  constructor(db: Database, options: ConversationServiceOptions) {
    this.db = db;
    this.options = options;
  }

  /** Creates a conversation owned by `userId`; `conversation.created` goes to the outbox with it. */
  async create(userId: string, input: ConversationCreate = {}): Promise<ConversationRead> {
    return this.db.$transaction(async (tx) => {
      const conversation = toConversationRead(await tx.conversation.create({ data: { userId, title: input.title ?? null } }));
      await publishEvent(tx, 'conversation.created', conversation);
      return conversation;
    });
  }

  /**
   * The conversation with its newest `detailMaxMessages` messages (oldest first), each with its
   * tool calls. Bounded because a long chat would otherwise make one response, and its tool-call
   * rows, as large as the whole history; listMessages pages through all of it.
   */
  async get(userId: string, conversationId: string): Promise<ConversationDetail> {
    const row = await this.db.conversation.findFirst({
      where: { id: conversationId, userId },
      include: {
        messages: {
          orderBy: NEWEST_MESSAGES_FIRST,
          take: this.options.detailMaxMessages,
          include: { toolCalls: { orderBy: TOOL_CALL_ORDER } },
        },
      },
    });
    if (!row) throw notFound(conversationId);
    return { ...toConversationRead(row), messages: row.messages.reverse().map(toMessageRead) };
  }

  /** The caller's conversations (archived ones only when asked for), most recently updated first. */
  list(userId: string, query: ConversationListQuery): Promise<ConversationList> {
    const where: Prisma.ConversationWhereInput = { userId, ...(!query.include_archived && { isArchived: false }) };
    return listWindow(
      {
        rows: (window) => this.db.conversation.findMany({ where, orderBy: CONVERSATION_ORDER, ...window }),
        count: () => this.db.conversation.count({ where }),
      },
      query,
      toConversationRead,
    );
  }

  async update(userId: string, conversationId: string, changes: ConversationUpdate): Promise<ConversationRead> {
    const data = {
      ...(changes.title !== undefined && { title: changes.title }),
      ...(changes.is_archived !== undefined && { isArchived: changes.is_archived }),
    };
    if (!Object.keys(data).length) return toConversationRead(await this.owned(userId, conversationId));
    return this.updateOwned(userId, conversationId, data);
  }

  archive(userId: string, conversationId: string): Promise<ConversationRead> {
    return this.updateOwned(userId, conversationId, { isArchived: true });
  }

  /** Deletes the conversation; its messages and tool calls go with it (ON DELETE CASCADE). */
  async delete(userId: string, conversationId: string): Promise<void> {
    const { count } = await this.db.conversation.deleteMany({ where: { id: conversationId, userId } });
    if (!count) throw notFound(conversationId);
  }

  async listMessages(userId: string, conversationId: string, query: MessageListQuery): Promise<MessageList> {
    await this.owned(userId, conversationId);
    const where = { conversationId };
    return listWindow(
      {
        rows: (window) => this.db.message.findMany({ where, orderBy: MESSAGE_ORDER, ...window }),
        count: () => this.db.message.count({ where }),
      },
      query,
      toMessageReadSimple,
    );
  }

  /** Adds a message; the conversation's updated_at becomes the message's created_at. */
  async addMessage(userId: string, conversationId: string, input: MessageCreate): Promise<MessageRead> {
    await this.owned(userId, conversationId);
    const id = await insertMessage(
      this.db,
      conversationId,
      { role: input.role, content: input.content, modelName: input.model_name ?? null, tokensUsed: input.tokens_used ?? null },
      [],
    );
    return toMessageRead(await this.db.message.findUniqueOrThrow({ where: { id }, include: { toolCalls: { orderBy: TOOL_CALL_ORDER } } }));
  }

  /**
   * The id when `conversationId` names one of the caller's conversations, otherwise null
   * (malformed ids included): the agent socket takes its ids from a client frame, unchecked.
   */
  async findOwnedId(userId: string, conversationId: string): Promise<string | null> {
    if (!UUID.test(conversationId)) return null;
    const row = await this.db.conversation.findFirst({ where: { id: conversationId.toLowerCase(), userId }, select: { id: true } });
    return row?.id ?? null;
  }

  /**
   * The newest `maxMessages` user and assistant messages of a conversation, oldest first: the
   * history of an agent turn whose transport keeps none of its own (the tRPC subscription).
   */
  async recentHistory(conversationId: string, maxMessages: number): Promise<HistoryEntry[]> {
    const rows = await this.db.message.findMany({
      where: { conversationId, role: { in: ['user', 'assistant'] } },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: maxMessages,
      select: { role: true, content: true },
    });
    return rows.reverse().map(({ role, content }) => ({ role: role as HistoryEntry['role'], content }));
  }

  /** Saves the user's prompt of an agent turn (the conversation was resolved for this user already). */
  async saveUserPrompt(conversationId: string, content: string): Promise<void> {
    await insertMessage(this.db, conversationId, { role: 'user', content, modelName: null, tokensUsed: null }, []);
  }

  /** Saves an agent turn's answer together with the tool calls it made, in one statement. */
  async saveAssistantTurn(conversationId: string, turn: AssistantTurn): Promise<void> {
    const message = { role: 'assistant' as const, content: turn.content, modelName: turn.modelName, tokensUsed: turn.tokensUsed };
    await insertMessage(this.db, conversationId, message, turn.toolCalls);
  }

  private async owned(userId: string, conversationId: string): Promise<Conversation> {
    const row = await this.db.conversation.findFirst({ where: { id: conversationId, userId } });
    if (!row) throw notFound(conversationId);
    return row;
  }

  private async updateOwned(
    userId: string,
    conversationId: string,
    data: Prisma.ConversationUpdateManyMutationInput,
  ): Promise<ConversationRead> {
    const [row] = await this.db.conversation.updateManyAndReturn({
      where: { id: conversationId, userId },
      data: { ...data, updatedAt: new Date() },
    });
    if (!row) throw notFound(conversationId);
    return toConversationRead(row);
  }

  // The original's ConversationService method names, camelCased, kept as aliases so code written
  // against them still works (test/seed-names.test.ts); `addMessage` is the same in both.
  /** `create_conversation`: {@link ConversationService.create}. */
  readonly createConversation = this.create;
  /** `get_conversation`: {@link ConversationService.get}. */
  readonly getConversation = this.get;
  /** `get_user_conversations`: {@link ConversationService.list}. */
  readonly getUserConversations = this.list;
  /** `delete_conversation`: {@link ConversationService.delete}. */
  readonly deleteConversation = this.delete;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const notFound = (conversationId: string) => new NotFoundError('Conversation not found', { conversation_id: conversationId });
