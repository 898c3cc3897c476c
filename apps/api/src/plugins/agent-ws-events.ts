// How the agent socket's events reach the client: one serialisation per frame (a text_delta, the
// frame of every token, is written from a template around its content rather than through a
// generic stringify of an event object), and backpressure. While the socket is not backed up,
// every event is its own frame, at once. Once frames wait in the socket's buffer (a slow client,
// a slow network), consecutive text_deltas of one part are merged into one frame sent when the
// buffer has drained: the concatenated text stays exact, the client just gets fewer, larger
// frames. What waits (the socket's buffer and the merged text) is capped at
// AGENT_MAX_BUFFERED_BYTES: past it the client cannot keep up, and the owner is told to cancel
// the turn, so a slow client never grows the process without bound.
//
// The frames sent in one go of the event loop (the events of one read of the model's answer:
// several tokens when the process is busy; a part_start with its first text_delta) leave in one
// TCP write: the socket is corked at the first and uncorked once the go's callbacks have run. The
// frames stay the same frames; only the writes (a system call each, most of the CPU a token
// costs) are fewer.

import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { AgentEventFrame } from '@personal-automations/contracts';

/** `id`: the event id of the latest delta merged in (a resume after it misses none of the text). */
type Delta = { index: number; content: string; id?: string | undefined };

/** The text_delta frame, byte for byte what JSON.stringify of the event gives (ids are digits only). */
const textDeltaFrame = ({ index, content, id }: Delta) =>
  `{"type":"text_delta","data":{"index":${index},"content":${JSON.stringify(content)}}${id === undefined ? '' : `,"id":"${id}"`}}`;

export class SocketEvents {
  private readonly socket: WebSocket;
  /** The TCP connection under the WebSocket, corked while a go of the event loop sends. */
  private readonly tcp: Socket;
  private readonly maxBufferedBytes: number;
  private readonly onOverflow: () => void;
  /** text_deltas merged while the socket is backed up, sent once it drains. */
  private pending: Delta | null = null;
  /** onOverflow is running (it sends an error event through here): not called again from inside. */
  private overflowing = false;
  /** Frames handed to the socket whose write has not completed yet. */
  private writing = 0;
  private corked = false;
  /** Whether the socket was backed up when it was corked (the corked frames themselves are not a backlog). */
  private backedUpAtCork = false;

  constructor(socket: WebSocket, tcp: Socket, maxBufferedBytes: number, onOverflow: () => void) {
    this.socket = socket;
    this.tcp = tcp;
    this.maxBufferedBytes = maxBufferedBytes;
    this.onOverflow = onOverflow;
  }

  send(event: AgentEventFrame): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    if (event.type === 'text_delta') {
      this.sendDelta({ ...event.data, id: event.id });
      return;
    }
    this.flush();
    this.write(JSON.stringify(event));
    if (this.socket.bufferedAmount > this.maxBufferedBytes) this.overflow();
  }

  /** Frames of ours still wait in the socket's buffer: their completed writes will flush what is merged meanwhile. */
  private get backedUp(): boolean {
    if (this.corked) return this.backedUpAtCork;
    return this.writing > 0 && this.socket.bufferedAmount > 0;
  }

  private sendDelta(delta: Delta): void {
    if (!this.pending && !this.backedUp) {
      this.write(textDeltaFrame(delta));
      return;
    }
    if (this.pending && this.pending.index !== delta.index) this.flush();
    if (this.pending) {
      this.pending.content += delta.content;
      this.pending.id = delta.id;
    } else this.pending = { ...delta };
    // the merged text counted in UTF-16 units: about its bytes, without encoding it per token
    if (this.socket.bufferedAmount + this.pending.content.length > this.maxBufferedBytes) this.overflow();
  }

  private overflow(): void {
    if (this.overflowing) return;
    this.overflowing = true;
    this.pending = null;
    try {
      this.onOverflow();
    } finally {
      this.overflowing = false;
    }
  }

  private readonly uncork = (): void => {
    this.corked = false;
    this.tcp.uncork();
  };

  private flush(): void {
    const pending = this.pending;
    this.pending = null;
    if (pending) this.write(textDeltaFrame(pending));
  }

  private write(frame: string): void {
    if (!this.corked) {
      this.backedUpAtCork = this.backedUp;
      this.corked = true;
      this.tcp.cork();
      // after the callbacks and promise reactions of this go: the frames it sent are all in
      process.nextTick(this.uncork);
    }
    this.writing++;
    this.socket.send(frame, () => {
      this.writing--;
      // our frames have all been written: what was merged meanwhile goes out as one frame
      if (this.writing === 0) this.flush();
    });
  }
}
