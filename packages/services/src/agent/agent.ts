// The agent loop: ask the model, run the tools it asks for, send their results back, and
// repeat until it answers with text. Progress is reported as the WebSocket contract's events.
import { randomUUID } from 'node:crypto';
import type { AgentEvent, HistoryEntry } from '@personal-automations/contracts';
import { inSpan } from '@personal-automations/observability/trace-hooks';
import type { ToolCallRecord } from '../conversations.ts';
import { ExternalServiceError } from '../errors.ts';
import type { UsageRecorder } from '../usage.ts';
import type { ApprovalStep, ReviewedCall } from './approval-step.ts';
import type { ChatModel, ModelMessage, ModelToolCall } from './model.ts';
import type { ToolDefinition, ToolRegistry } from './tools.ts';

export const SYSTEM_PROMPT = 'You are a helpful assistant.';

export type EmitEvent = (event: AgentEvent) => void;

export type AgentRunInput = {
  prompt: string;
  /** Earlier turns, oldest first (text only). */
  history: HistoryEntry[];
  userId: string;
  /** The conversation the turn is saved in: only such a turn can wait for a tool approval. */
  conversationId?: string | null;
  signal: AbortSignal;
  emit: EmitEvent;
};

export type AgentRunResult = {
  /** The text of the model's final answer. */
  output: string;
  /** Tokens the API reported for all of the turn's requests; null when it reported none. */
  tokensUsed: number | null;
  toolCalls: ToolCallRecord[];
};

type ModelResponse = { text: string; toolCalls: ModelToolCall[]; totalTokens: number | null };

const addTokens = (total: number | null, more: number | null) => (more === null ? total : (total ?? 0) + more);

export type AgentOptions = {
  model: ChatModel;
  tools: ToolRegistry;
  /**
   * Model requests in one turn (AGENT_MAX_MODEL_REQUESTS): each tool round is one more paid
   * request, so a model that keeps calling tools is stopped here.
   */
  maxModelRequests: number;
  systemPrompt?: string;
  /** Where each model request's reported tokens go (per user, model and day: usage reports, the daily quota). */
  usage?: UsageRecorder;
  /** Puts the calls of the tools named in AGENT_APPROVAL_TOOLS to the user before they run; without it every call runs. */
  approval?: ApprovalStep;
};

export class Agent {
  readonly model: ChatModel;
  private readonly tools: ToolRegistry;
  private readonly maxModelRequests: number;
  private readonly systemPrompt: string;
  private readonly usage: UsageRecorder | undefined;
  private readonly approval: ApprovalStep | undefined;

  constructor({ model, tools, maxModelRequests, systemPrompt = SYSTEM_PROMPT, usage, approval }: AgentOptions) {
    this.model = model;
    this.usage = usage;
    this.approval = approval;
    this.tools = tools;
    this.maxModelRequests = maxModelRequests;
    this.systemPrompt = systemPrompt;
  }

  async run(input: AgentRunInput): Promise<AgentRunResult> {
    const messages: ModelMessage[] = [
      { role: 'system', content: this.systemPrompt },
      ...input.history.map((entry) => ({ role: entry.role, content: entry.content })),
      { role: 'user', content: input.prompt },
    ];
    const definitions = this.tools.definitions();
    const toolCalls: ToolCallRecord[] = [];
    let tokensUsed: number | null = null;
    for (let request = 0; request < this.maxModelRequests; request++) {
      input.emit({ type: 'model_request_start', data: {} });
      const response = await inSpan(
        'agent model request',
        { kind: 'client', attributes: { 'gen_ai.request.model': this.model.name, 'agent.request_number': request + 1 } },
        () => this.streamResponse(messages, definitions, input),
      );
      tokensUsed = addTokens(tokensUsed, response.totalTokens);
      input.emit({ type: 'call_tools_start', data: {} });
      if (!response.toolCalls.length) {
        input.emit({ type: 'final_result', data: { output: response.text } });
        return { output: response.text, tokensUsed, toolCalls };
      }
      const reviewed = this.approval ? await this.approval.review(response.toolCalls, input) : response.toolCalls.map((call) => ({ call }));
      // the model's own call as it ran: an edited call shows the user's arguments
      messages.push({ role: 'assistant', content: response.text, toolCalls: reviewed.map(({ call }) => call) });
      toolCalls.push(...(await this.callTools(reviewed, messages, input)));
    }
    throw new ExternalServiceError(`The model kept calling tools: stopped after ${this.maxModelRequests} requests`);
  }

  /**
   * One model request, streamed: each part (the text, each tool call) gets the next index in the order
   * it starts, and its `part_start` and deltas carry it, as the frontend's chat view reads the events.
   */
  private async streamResponse(
    messages: ModelMessage[],
    tools: ToolDefinition[],
    { emit, signal, userId }: AgentRunInput,
  ): Promise<ModelResponse> {
    let nextIndex = 0;
    let text = '';
    let textIndex: number | undefined;
    let totalTokens: number | null = null;
    const calls = new Map<number, ModelToolCall & { partIndex: number }>();
    for await (const chunk of this.model.stream(messages, tools, signal)) {
      if (chunk.type === 'usage') {
        totalTokens = addTokens(totalTokens, chunk.totalTokens);
        // Recorded as each request reports it, so tokens spent by a turn that is later cancelled or fails count too.
        await this.usage?.record({ ...chunk, userId, model: this.model.name });
      } else if (chunk.type === 'text') {
        text += chunk.content;
        if (textIndex === undefined) {
          textIndex = nextIndex++;
          emit({ type: 'part_start', data: { index: textIndex, part_type: 'TextPart' } });
          emit({ type: 'text_delta', data: { index: textIndex, content: chunk.content } });
          // Text before any tool call starts the final answer (plain text: no output tool).
          if (!calls.size) emit({ type: 'final_result_start', data: { tool_name: null } });
        } else {
          emit({ type: 'text_delta', data: { index: textIndex, content: chunk.content } });
        }
      } else {
        let call = calls.get(chunk.index);
        if (!call) {
          call = { partIndex: nextIndex++, id: '', name: '', args: '' };
          calls.set(chunk.index, call);
          emit({ type: 'part_start', data: { index: call.partIndex, part_type: 'ToolCallPart' } });
        }
        call.id ||= chunk.id ?? '';
        call.name ||= chunk.name ?? '';
        if (chunk.argsDelta) {
          call.args += chunk.argsDelta;
          emit({ type: 'tool_call_delta', data: { index: call.partIndex, args_delta: chunk.argsDelta } });
        }
      }
    }
    // An aborted stream may simply end (the openai client's does): it must not pass for a complete answer.
    signal.throwIfAborted();
    const toolCalls = [...calls.values()]
      .sort((a, b) => a.partIndex - b.partIndex)
      .map(({ id, name, args }) => ({ id: id || `call_${randomUUID().replaceAll('-', '')}`, name, args: args || '{}' }));
    return { text, toolCalls, totalTokens };
  }

  /**
   * Announces every call, then runs them one by one (a rejected one is not run: its result says
   * so), reporting each result and adding it to the conversation.
   */
  private async callTools(
    calls: ReviewedCall[],
    messages: ModelMessage[],
    { emit, signal, userId }: AgentRunInput,
  ): Promise<ToolCallRecord[]> {
    for (const { call } of calls) emit({ type: 'tool_call', data: { tool_name: call.name, args: call.args, tool_call_id: call.id } });
    const records: ToolCallRecord[] = [];
    for (const { call, rejected } of calls) {
      const startedAt = new Date();
      const outcome =
        rejected === undefined
          ? await inSpan('agent tool call', { attributes: { 'gen_ai.tool.name': call.name.slice(0, 100) } }, () =>
              this.tools.run(call.name, call.args, { userId, signal }),
            )
          : this.tools.reject(call.name, call.args, rejected);
      signal.throwIfAborted();
      records.push({
        toolCallId: call.id,
        toolName: call.name,
        args: outcome.args,
        result: outcome.result,
        status: outcome.status,
        startedAt,
        completedAt: new Date(),
      });
      emit({ type: 'tool_result', data: { tool_call_id: call.id, content: outcome.result } });
      messages.push({ role: 'tool', toolCallId: call.id, content: outcome.result });
    }
    return records;
  }
}
