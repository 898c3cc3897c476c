// The events of a streamed turn waiting for their reader (the SSE response). The turn produces
// them at the model's pace; a reader that does not keep up would make them pile up in the
// process, so past `maxBytes` unread the queue says so (`push` returns false) and the turn is
// cancelled, as a WebSocket client that does not read is (AGENT_MAX_BUFFERED_BYTES).

/** Roughly what an event costs to hold: its text, plus a frame's fixed part. */
export const FRAME_OVERHEAD_BYTES = 64;

export class EventQueue<T> implements AsyncIterable<T> {
  private readonly items: { item: T; bytes: number }[] = [];
  private bytes = 0;
  private ended = false;
  private wake: (() => void) | null = null;
  private readonly maxBytes: number;
  private readonly onStop: () => void;

  /** `onStop`: the reader stopped before the end (it went away); called once. */
  constructor(maxBytes: number, onStop: () => void) {
    this.maxBytes = maxBytes;
    this.onStop = onStop;
  }

  /** Queues an item; false when the unread items now pass the cap. */
  push(item: T, bytes: number): boolean {
    if (this.ended) return true;
    this.items.push({ item, bytes });
    this.bytes += bytes;
    this.notify();
    return this.bytes <= this.maxBytes;
  }

  /** No more items: the reader gets those queued, then the end. */
  end(): void {
    this.ended = true;
    this.notify();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    let finished = false;
    try {
      for (;;) {
        const next = this.items.shift();
        if (next) {
          this.bytes -= next.bytes;
          yield next.item;
        } else if (this.ended) {
          finished = true;
          return;
        } else {
          await new Promise<void>((resolve) => (this.wake = resolve));
        }
      }
    } finally {
      if (!finished) {
        this.ended = true;
        this.items.length = 0;
        this.onStop();
      }
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
