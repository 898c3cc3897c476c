// The chat model behind the agent, reduced to what the agent loop needs: send the
// conversation and the tools, get the answer back as a stream of small pieces.
import type OpenAI from 'openai';
import type { Settings } from '@personal-automations/config';
import { agentModelErrors } from '@personal-automations/observability';
import { ExternalServiceError } from '../errors.ts';
import { AnswerReader, type OpenAISdk } from './model-stream.ts';
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
  private client: { client: OpenAI; sdk: OpenAISdk } | undefined;

  constructor(config: OpenAIModelConfig) {
    this.config = config;
    this.name = config.AI_MODEL;
  }

  /**
   * Built on first use, so the API starts without a key (and without loading the OpenAI library);
   * only the settings are read, never the environment.
   */
  private async getClient(): Promise<{ client: OpenAI; sdk: OpenAISdk }> {
    if (this.client) return this.client;
    const { OPENAI_API_KEY: apiKey, OPENAI_BASE_URL: baseURL } = this.config;
    // A self-hosted OpenAI-compatible server may need no key; OpenAI itself always does.
    if (!apiKey && !baseURL) throw new ExternalServiceError('The AI model is not configured: OPENAI_API_KEY is empty');
    const { default: sdk } = await import('openai');
    const client = new sdk({
      apiKey: apiKey || 'unused',
      baseURL: baseURL ?? null,
      organization: null,
      project: null,
      webhookSecret: null,
      adminAPIKey: null,
      logLevel: 'off',
    });
    this.client = { client, sdk };
    return this.client;
  }

  /** The request is the openai client's; the streamed body is read by model-stream.ts. */
  async *stream(messages: ModelMessage[], tools: ToolDefinition[], signal: AbortSignal): AsyncIterable<ModelChunk> {
    let answer: AnswerReader | undefined;
    try {
      const { client, sdk } = await this.getClient();
      const response = await client.chat.completions
        .create(
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
        )
        .asResponse();
      answer = new AnswerReader(this.name, sdk, response);
      for (let chunks = await answer.read(); chunks; chunks = await answer.read()) for (const chunk of chunks) yield chunk;
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw await upstreamError(error);
    } finally {
      // the consumer stopped early (or the answer failed): the rest of the body is not wanted
      answer?.close();
    }
  }
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
