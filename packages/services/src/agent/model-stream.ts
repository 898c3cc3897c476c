// The model's streamed answer read from its HTTP response. The openai client makes the request
// (base URL, key, retries, HTTP errors) and hands over the response; its body is read here: parsed
// once by sse.ts, each event's JSON parsed once, and turned into the agent's ModelChunks. This
// spares every token the client's own stream layers (web stream adapters, its line and event
// decoders, an async generator per layer), a fifth of the API's CPU per streamed token. What the
// client's stream does with the events is kept: `[DONE]` ends the answer, an error payload
// mid-stream is its APIError, malformed JSON its SyntaxError.
import type OpenAI from 'openai';
import { agentTokens } from '@personal-automations/observability';
import type { ModelChunk } from './model.ts';
import { type SseEvent, SseParser } from './sse.ts';

/** The openai module's client class, which carries its error classes. */
export type OpenAISdk = typeof OpenAI;

type ChatChunk = OpenAI.Chat.ChatCompletionChunk;
type ErrorPayload = { error?: object };

/** Reads one streamed answer, a read of the body at a time. */
export class AnswerReader {
  private readonly model: string;
  private readonly sdk: OpenAISdk;
  private readonly headers: Headers;
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly parser = new SseParser();
  private done = false;
  /** An event that failed after others of the same read: thrown at the next read. */
  private failure: { error: unknown } | undefined;

  constructor(model: string, sdk: OpenAISdk, response: Response) {
    if (!response.body) throw new sdk.OpenAIError('Attempted to iterate over a response with no body');
    this.model = model;
    this.sdk = sdk;
    this.headers = response.headers;
    this.reader = response.body.getReader();
  }

  /** The chunks of the next read of the body (often one, possibly none); null once the answer has ended. */
  async read(): Promise<ModelChunk[] | null> {
    if (this.failure) throw this.failure.error;
    if (this.done) return null;
    const { value, done } = await this.reader.read();
    const events = done ? this.parser.end() : this.parser.push(value);
    const chunks: ModelChunk[] = [];
    for (const event of events) {
      if (event.data === '[DONE]') {
        this.close();
        return chunks;
      }
      try {
        this.addChunks(this.parse(event), chunks);
      } catch (error) {
        // the chunks before the failure still go first, as they did one event at a time
        if (!chunks.length) throw error;
        this.failure = { error };
        return chunks;
      }
    }
    if (done) this.done = true;
    return chunks;
  }

  /** Stops reading: the rest of the body is discarded and its connection released (a no-op once the body has ended). */
  close(): void {
    if (this.done) return;
    this.done = true;
    this.reader.cancel().catch(() => undefined);
  }

  private parse(event: SseEvent): ChatChunk {
    let data: (ChatChunk & ErrorPayload) | null;
    try {
      data = JSON.parse(event.data) as (ChatChunk & ErrorPayload) | null;
    } catch {
      throw new SyntaxError('Error reading response: malformed server-sent event JSON.');
    }
    if (event.event === 'error') throw new this.sdk.APIError(undefined, data?.error ?? data ?? undefined, undefined, this.headers);
    if (data?.error) throw new this.sdk.APIError(undefined, data.error, undefined, this.headers);
    return data as ChatChunk;
  }

  private addChunks(chunk: ChatChunk, chunks: ModelChunk[]): void {
    if (chunk.usage) {
      countTokens(this.model, chunk.usage);
      const { total_tokens: totalTokens, prompt_tokens: promptTokens, completion_tokens: completionTokens } = chunk.usage;
      chunks.push({ type: 'usage', totalTokens, promptTokens, completionTokens });
    }
    const delta = chunk.choices?.[0]?.delta;
    if (!delta) return;
    if (delta.content) chunks.push({ type: 'text', content: delta.content });
    for (const call of delta.tool_calls ?? []) {
      chunks.push({
        type: 'tool_call',
        index: call.index ?? 0,
        ...(call.id && { id: call.id }),
        ...(call.function?.name && { name: call.function.name }),
        argsDelta: call.function?.arguments ?? '',
      });
    }
  }
}

/** The tokens the API reported for one request, by direction. */
function countTokens(model: string, usage: OpenAI.CompletionUsage): void {
  agentTokens.inc({ model, direction: 'input' }, usage.prompt_tokens);
  agentTokens.inc({ model, direction: 'output' }, usage.completion_tokens);
}
