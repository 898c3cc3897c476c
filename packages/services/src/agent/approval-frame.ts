// The agent socket's `resume` frame: the user's decisions on a turn paused by
// `tool_approval_required`. The turn may run on another API process (its client reconnected
// elsewhere): the decisions go to it through the stored approval, never through a socket.
import { AgentResumeFrame } from '@personal-automations/contracts';
import { BadRequestError } from '../errors.ts';
import { type AgentApprovals, NO_APPROVAL_PENDING } from './approvals.ts';
import { describeIssue } from './errors.ts';

export type ApprovalAnswerContext = {
  approvals: AgentApprovals;
  userId: string;
  /**
   * The conversation a frame without `conversation_id` answers: that of the socket's running turn,
   * or of the turn its `resume_stream` follows.
   */
  conversationId: string | null;
};

/** Hands the frame's decisions to the paused turn; a malformed frame or a refused decision throws a BadRequestError. */
export async function answerApproval(frame: unknown, { approvals, userId, conversationId }: ApprovalAnswerContext): Promise<void> {
  const parsed = AgentResumeFrame.safeParse(frame);
  if (!parsed.success) throw new BadRequestError(`Invalid resume frame: ${describeIssue(parsed.error)}`);
  const target = parsed.data.conversation_id ?? conversationId;
  if (!target) throw new BadRequestError(NO_APPROVAL_PENDING);
  await approvals.decide(userId, target, parsed.data.decisions);
}
