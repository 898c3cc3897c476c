// How much earlier conversation a turn sends to the model. Every entry is paid for again on every
// model request of every turn, so a long-lived socket, or a client sending a huge `history`,
// would otherwise make each turn dearer than the last (AGENT_MAX_HISTORY_MESSAGES and
// AGENT_MAX_HISTORY_CHARS).
import type { HistoryEntry } from '@personal-automations/contracts';

export type HistoryBounds = {
  /** Entries kept, newest first. */
  maxMessages: number;
  /** Characters of content kept, summed over the kept entries (UTF-16 code units, as JavaScript counts them). */
  maxChars: number;
};

/**
 * The newest entries of `history` that fit both bounds, oldest first. Entries are dropped from the
 * oldest end; an entry that would pass the character bound is dropped with everything older, so
 * the model never sees a conversation with a hole in it.
 */
export function boundHistory(history: readonly HistoryEntry[], { maxMessages, maxChars }: HistoryBounds): HistoryEntry[] {
  const kept: HistoryEntry[] = [];
  let chars = 0;
  for (let index = history.length - 1; index >= 0 && kept.length < maxMessages; index--) {
    const entry = history[index]!;
    chars += entry.content.length;
    if (chars > maxChars) break;
    kept.push(entry);
  }
  return kept.reverse();
}
