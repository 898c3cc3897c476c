// The chat model behind the agent, reduced to what the agent loop needs: send the
// conversation and the tools, get the answer back as a stream of small pieces.
import type OpenAI from 'openai';
import type { Settings } from '@personal-automations/config';
import { agentModelErrors, agentTokens } from '@personal-automations/observability';
import { ExternalServiceError } from '../errors.ts';
import type { ToolDefinition } from './tools.ts';

export type ModelToolCall = { id: string; name: string; args: string };

export type ModelMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls?: ModelToolCall[] }
  | { role: 'tool'; toolCallId: string; content: string };

/** One piece of a streamed answer. Tool calls arrive in fragments keyed by `index`. */
export type ModelChunk =
  | { type: 'text'; content: string }
  | { type: 'tool_call'; index: number; id?: string; name?: string; argsDelta: string }
  | { type: 'usage'; totalTokens: number; promptTokens: number; completionTokens: number };

export interface ChatModel {
  /** Stored as the assistant message's model_name. */
  readonly name: string;
  /** Streams one answer; aborting `signal` aborts the upstream request. Failures are AppErrors. */
  stream(messages: ModelMessage[], tools: ToolDefinition[], signal: AbortSignal): AsyncIterable<ModelChunk>;
}

export type OpenAIModelConfig = Pick<
  Settings,
  'OPENAI_API_KEY' | 'OPENAI_BASE_URL' | 'AI_MODEL' | 'AI_TEMPERATURE' | 'AGENT_MAX_OUTPUT_TOKENS'
>;

/** Chat completions (streaming) on OpenAI or any OpenAI-compatible server. */
export class OpenAIChatModel implements ChatModel {
  readonly name: string;
  private readonly config: OpenAIModelConfig;
  private client: OpenAI | undefined;

  constructor(config: OpenAIModelConfig) {
    this.config = config;
    this.name = config.AI_MODEL;
  }

  /**
   * Built on first use, so the API starts without a key (and without loading the OpenAI library);
   * only the settings are read, never the environment.
   */
  private async getClient(): Promise<OpenAI> {
    if (this.client) return this.client;
    const { OPENAI_API_KEY: apiKey, OPENAI_BASE_URL: baseURL } = this.config;
    // A self-hosted OpenAI-compatible server may need no key; OpenAI itself always does.
    if (!apiKey && !baseURL) throw new ExternalServiceError('The AI model is not configured: OPENAI_API_KEY is empty');
    const { default: OpenAIClient } = await import('openai');
    this.client = new OpenAIClient({
      apiKey: apiKey || 'unused',
      baseURL: baseURL ?? null,
      organization: null,
      project: null,
      webhookSecret: null,
      adminAPIKey: null,
      logLevel: 'off',
    });
    return this.client;
  }

  async *stream(messages: ModelMessage[], tools: ToolDefinition[], signal: AbortSignal): AsyncIterable<ModelChunk> {
    try {
      const stream = await (await this.getClient()).chat.completions.create(
        {
          model: this.config.AI_MODEL,
          temperature: this.config.AI_TEMPERATURE,
          // Every answer's length is capped, so no single request can run up an unbounded bill.
          max_tokens: this.config.AGENT_MAX_OUTPUT_TOKENS,
          messages: messages.map(toOpenAIMessage),
          ...(tools.length > 0 && { tools: tools.map((tool) => ({ type: 'function' as const, function: tool })) }),
          stream: true,
          stream_options: { include_usage: true },
        },
        { signal },
      );
      for await (const chunk of stream) {
        if (chunk.usage) {
          countTokens(this.name, chunk.usage);
          const { total_tokens: totalTokens, prompt_tokens: promptTokens, completion_tokens: completionTokens } = chunk.usage;
          yield { type: 'usage', totalTokens, promptTokens, completionTokens };
        }
        const delta = chunk.choices[0]?.delta;
        if (!delta) continue;
        if (delta.content) yield { type: 'text', content: delta.content };
        for (const call of delta.tool_calls ?? []) {
          yield {
            type: 'tool_call',
            index: call.index ?? 0,
            ...(call.id && { id: call.id }),
            ...(call.function?.name && { name: call.function.name }),
            argsDelta: call.function?.arguments ?? '',
          };
        }
      }
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw await upstreamError(error);
    }
  }
}

/** The tokens the API reported for one request, by direction. */
function countTokens(model: string, usage: OpenAI.CompletionUsage): void {
  agentTokens.inc({ model, direction: 'input' }, usage.prompt_tokens);
  agentTokens.inc({ model, direction: 'output' }, usage.completion_tokens);
}

function toOpenAIMessage(message: ModelMessage): OpenAI.Chat.ChatCompletionMessageParam {
  switch (message.role) {
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
    case 'assistant':
      if (!message.toolCalls?.length) return { role: 'assistant', content: message.content };
      return {
        role: 'assistant',
        content: message.content || null,
        tool_calls: message.toolCalls.map((call) => ({
          id: call.id,
          type: 'function',
          function: { name: call.name, arguments: call.args },
        })),
      };
    default:
      return { role: message.role, content: message.content };
  }
}

/**
 * A failed model request as the error the client is shown. Upstream bodies can hold account
 * details (a masked key, quota messages), so only the kind of failure is passed on; the
 * underlying error stays attached as `cause` for the server log.
 */
async function upstreamError(error: unknown): Promise<unknown> {
  const { default: OpenAI } = await import('openai'); // loaded already when a request was made
  if (!(error instanceof OpenAI.OpenAIError)) {
    // not configured (no key) is the one failure of ours; anything else is counted as other
    agentModelErrors.inc({ kind: error instanceof ExternalServiceError ? 'not_configured' : 'other' });
    return error;
  }
  let message = 'The model request failed';
  let kind = 'other';
  if (error instanceof OpenAI.APIConnectionTimeoutError) [message, kind] = ['The model request timed out', 'timeout'];
  else if (error instanceof OpenAI.APIConnectionError) [message, kind] = ['Could not reach the model server', 'connection'];
  else if (error instanceof OpenAI.APIError && error.status)
    [message, kind] = [`The model request failed (HTTP ${error.status})`, `http_${Math.floor(error.status / 100)}xx`];
  agentModelErrors.inc({ kind });
  const wrapped = new ExternalServiceError(message);
  wrapped.cause = error;
  return wrapped;
}
