// The tool approvals waiting for their user: a turn whose model asked for a tool named in
// AGENT_APPROVAL_TOOLS stores its action requests here, keyed by its conversation, and waits; the
// user's decisions (a `resume` frame on any socket of theirs, on any API process) are checked
// against what is stored and handed to the waiting turn. Not answered within
// AGENT_APPROVAL_TIMEOUT_SECONDS, every request counts as rejected.
//
// The state is stored, not held by the socket that saw the request: with Redis (approvals-redis.ts)
// a decision sent to one process reaches a turn running on another, so a client that reconnected
// elsewhere can answer. Without Redis (the embedded parts) it lives in this process's memory.
import type { AgentActionRequest, AgentDecision } from '@personal-automations/contracts';
import { BadRequestError } from '../errors.ts';

/**
 * The one answer when there is nothing this user may decide: no approval pending in that
 * conversation, already decided, expired, or another user's. It tells nothing of other users' turns.
 */
export const NO_APPROVAL_PENDING = 'No tool approval pending';

export type ApprovalRequest = {
  conversationId: string;
  userId: string;
  requests: AgentActionRequest[];
  /** Stops waiting (the turn was cancelled, or its socket ended): the request is withdrawn. */
  signal: AbortSignal;
};

export interface AgentApprovals {
  /**
   * Stores the requests and waits for the user's decisions, one per request in their order; after
   * the timeout, a rejection of each. A newer request in the same conversation replaces this one
   * (the older waits out its timeout). Rejects with the signal's reason when it aborts.
   */
  request(input: ApprovalRequest): Promise<AgentDecision[]>;
  /**
   * The user's decisions on the approval pending in their conversation: a BadRequestError when there
   * is none of theirs ({@link NO_APPROVAL_PENDING}) or the decisions do not fit the requests (the
   * approval then still waits). Only one call wins; the waiting turn goes on with its decisions.
   */
  decide(userId: string, conversationId: string, decisions: AgentDecision[]): Promise<void>;
  close(): Promise<void>;
}

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/**
 * One decision per request, in the requests' order; an edit names the request it answers (its id
 * and tool), so a client answering stale or reordered requests is told rather than obeyed.
 */
export function checkDecisions(requests: AgentActionRequest[], decisions: AgentDecision[]): void {
  if (decisions.length !== requests.length) {
    throw new BadRequestError(`Expected ${plural(requests.length, 'decision')} (one per action request), got ${decisions.length}`);
  }
  decisions.forEach((decision, i) => {
    const request = requests[i]!;
    if (decision.type !== 'edit') return;
    const { id, tool_name } = decision.edited_action;
    if (id !== request.id || tool_name !== request.tool_name) {
      throw new BadRequestError(
        `Decision ${i + 1}: edited_action must keep the id and tool_name of action request ${i + 1} (${request.id}, ${request.tool_name})`,
      );
    }
  });
}

/** What a request comes to when it is not answered in time. */
export const rejectAll = (requests: AgentActionRequest[]): AgentDecision[] => requests.map(() => ({ type: 'reject' }));

type MemoryPending = {
  userId: string;
  requests: AgentActionRequest[];
  settle: (decisions: AgentDecision[]) => void;
};

/** The approvals of this process, in its memory (no Redis: the embedded parts). */
export class MemoryApprovals implements AgentApprovals {
  private readonly pending = new Map<string, MemoryPending>();
  private readonly timeoutMs: number;

  constructor({ timeoutMs }: { timeoutMs: number }) {
    this.timeoutMs = timeoutMs;
  }

  request({ conversationId, userId, requests, signal }: ApprovalRequest): Promise<AgentDecision[]> {
    signal.throwIfAborted();
    return new Promise((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        if (this.pending.get(conversationId) === entry) this.pending.delete(conversationId);
      };
      const entry: MemoryPending = {
        userId,
        requests,
        settle: (decisions) => {
          finish();
          resolve(decisions);
        },
      };
      const onAbort = () => {
        finish();
        reject(signal.reason);
      };
      const timer = setTimeout(() => entry.settle(rejectAll(requests)), this.timeoutMs);
      signal.addEventListener('abort', onAbort, { once: true });
      this.pending.set(conversationId, entry);
    });
  }

  async decide(userId: string, conversationId: string, decisions: AgentDecision[]): Promise<void> {
    const entry = this.pending.get(conversationId);
    if (entry?.userId !== userId) throw new BadRequestError(NO_APPROVAL_PENDING);
    checkDecisions(entry.requests, decisions);
    entry.settle(decisions);
  }

  async close(): Promise<void> {}
}
