// `resume_stream`: a client whose socket dropped mid-turn (a phone changing networks, a reload)
// opens a new socket, on whichever API process it reaches, and asks for the events of its
// conversation's turn after the last one it has; it gets them, then the live rest of the turn.
import type { AgentEventFrame, AgentResumeStreamFrame, HistoryEntry } from '@personal-automations/contracts';
import type { TurnLog } from './turn-log.ts';

/**
 * The one answer for a turn that cannot be resumed, whatever the reason (never started, expired,
 * lost, another user's): a caller learns nothing of other users' conversations from it.
 */
export const UNKNOWN_TURN = 'Unknown or expired turn: nothing to resume';

export type ResumeTarget = {
  turnLog: TurnLog;
  /** Who asks: only a turn of this user's is resumed. */
  userId: string;
  send: (event: AgentEventFrame) => void;
  /** Stops the replay (the socket closed, or a cancel frame). */
  signal: AbortSignal;
};

/** A resumed turn that reached `complete`: its conversation, and its prompt and answer when the replay held both. */
export type FinishedTurn = { conversationId: string; entries: HistoryEntry[] };

/** Sends the missed and then the live events of the turn; the turn when it completed, else undefined. */
export async function resumeStream(target: ResumeTarget, frame: AgentResumeStreamFrame): Promise<FinishedTurn | undefined> {
  let prompt: string | undefined;
  let output: string | undefined;
  let completed = false;
  const result = await target.turnLog.follow({
    conversationId: frame.conversation_id,
    userId: target.userId,
    afterId: Number(frame.last_event_id ?? 0),
    signal: target.signal,
    send: ({ id, event }) => {
      if (event.type === 'user_prompt') prompt = event.data.content;
      else if (event.type === 'final_result') output = event.data.output;
      else if (event.type === 'complete') completed = true;
      target.send({ ...event, id });
    },
  });
  if (result !== 'done') {
    if (!target.signal.aborted) target.send({ type: 'error', data: { message: UNKNOWN_TURN } });
    return undefined;
  }
  if (!completed) return undefined;
  const entries: HistoryEntry[] =
    prompt !== undefined && output !== undefined
      ? [
          { role: 'user', content: prompt },
          { role: 'assistant', content: output },
        ]
      : [];
  return { conversationId: frame.conversation_id, entries };
}
