// The metrics of one agent turn: its time to the first streamed part of the answer, and how it
// ended. Kept apart from the connection so the turn's code gains two calls, not a block.
import type { AgentEvent } from '@personal-automations/contracts';
import { agentTimeToFirstToken, agentTurns, type TurnResult } from '@personal-automations/observability';
import { failActiveSpan } from '@personal-automations/observability/trace-hooks';
import { RateLimitError } from '../errors.ts';

export class TurnMeter {
  private readonly startedAt = performance.now();
  private answered = false;
  private result: TurnResult | undefined;

  /** Each event the turn emits: the first part of an answer (text or a tool call) stops the clock. */
  saw(event: AgentEvent): void {
    if (this.answered || event.type !== 'part_start') return;
    this.answered = true;
    agentTimeToFirstToken.observe((performance.now() - this.startedAt) / 1000);
  }

  completed(): void {
    this.result = 'completed';
  }

  /** The turn was not let start (its login ended). */
  refused(): void {
    this.result = 'refused';
  }

  /** Counts the turn once (a spent turn budget is a refusal, an aborted turn cancelled, any other failure failed); a failed turn's span says so. */
  end(signal: AbortSignal, error?: unknown): void {
    const result = this.result ?? (error instanceof RateLimitError ? 'refused' : signal.aborted ? 'cancelled' : 'failed');
    agentTurns.inc({ result });
    if (result === 'failed') failActiveSpan(error instanceof Error ? error.name : 'failed');
  }
}
