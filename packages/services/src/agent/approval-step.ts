// The agent loop's approval step: before a batch of tool calls runs, the calls of the tools named
// in AGENT_APPROVAL_TOOLS are put to the user in one `tool_approval_required` event, and the turn
// waits for their decisions (approvals.ts); then `resume_start`, and the batch runs as decided:
// approved calls as the model asked, edited ones with the user's arguments, rejected ones not at
// all (the model is told so in their results).
import { SettingsError } from '@personal-automations/config';
import type { AgentActionRequest, AgentDecision } from '@personal-automations/contracts';
import type { EmitEvent } from './agent.ts';
import type { AgentApprovals } from './approvals.ts';
import type { ModelToolCall } from './model.ts';
import { parseToolArgs } from './tools.ts';

/** The result the model gets for a call the user rejected, or did not answer within AGENT_APPROVAL_TIMEOUT_SECONDS. */
export const REJECTED_BY_USER = 'The user rejected this tool call: it was not run.';
/**
 * The result for a call needing approval in a turn saved in no conversation: an approval is stored
 * by conversation (a `resume` names it), so such a turn cannot wait for one.
 */
export const CANNOT_ASK_APPROVAL =
  'This tool call needs the user’s approval, which this turn cannot ask for (it is saved in no conversation): it was not run.';

/** Which tools need approval: `all`, or the names listed (none by default). */
export type ApprovalTools = 'all' | readonly string[];

/**
 * AGENT_APPROVAL_TOOLS, checked against the agent's tools: a misspelt name would leave the tool it
 * meant running without approval, so the process refuses to start instead.
 */
export function approvalTools(setting: 'all' | string[], known: string[]): ApprovalTools {
  if (setting === 'all') return setting;
  const unknown = setting.filter((name) => !known.includes(name));
  if (unknown.length) {
    throw new SettingsError([`AGENT_APPROVAL_TOOLS: no such tool: ${unknown.join(', ')} (the agent's tools: ${known.join(', ')})`]);
  }
  return setting;
}

/** A call of the batch as it is to run; `rejected`: not run, this text its result. */
export type ReviewedCall = { call: ModelToolCall; rejected?: string };

export type ReviewInput = {
  conversationId?: string | null | undefined;
  userId: string;
  signal: AbortSignal;
  emit: EmitEvent;
};

/** The arguments as the user sees them: the model's JSON object, or its text when it is not one. */
const actionRequest = (call: ModelToolCall): AgentActionRequest => ({
  id: call.id,
  tool_name: call.name,
  args: parseToolArgs(call.args) ?? { _raw_args: call.args },
});

function applyDecision(call: ModelToolCall, decision: AgentDecision | undefined): ReviewedCall {
  if (decision?.type === 'reject') return { call, rejected: REJECTED_BY_USER };
  if (decision?.type === 'edit') return { call: { ...call, args: JSON.stringify(decision.edited_action.args) } };
  return { call }; // approved, or a call that needed no approval
}

export class ApprovalStep {
  private readonly approvals: AgentApprovals;
  private readonly tools: ApprovalTools;

  constructor(approvals: AgentApprovals, tools: ApprovalTools) {
    this.approvals = approvals;
    this.tools = tools;
  }

  needsApproval(toolName: string): boolean {
    return this.tools === 'all' || this.tools.includes(toolName);
  }

  /** The batch as the user decided it; the batch as it is when none of its tools needs approval. */
  async review(calls: ModelToolCall[], { conversationId, userId, signal, emit }: ReviewInput): Promise<ReviewedCall[]> {
    const gated = calls.filter((call) => this.needsApproval(call.name));
    if (!gated.length) return calls.map((call) => ({ call }));
    if (!conversationId) return calls.map((call) => (gated.includes(call) ? { call, rejected: CANNOT_ASK_APPROVAL } : { call }));
    const requests = gated.map(actionRequest);
    const reviewConfigs = [...new Set(gated.map((call) => call.name))].map((tool_name) => ({ tool_name, allow_edit: true }));
    emit({ type: 'tool_approval_required', data: { action_requests: requests, review_configs: reviewConfigs } });
    const decisions = await this.approvals.request({ conversationId, userId, requests, signal });
    signal.throwIfAborted();
    emit({ type: 'resume_start', data: {} });
    const decisionOf = new Map(gated.map((call, i) => [call, decisions[i]]));
    return calls.map((call) => applyDecision(call, decisionOf.get(call)));
  }
}
