// A test client for WS /api/v1/ws/agent that records every event and reads them in order. The
// events are kept as `{type, data}` (what the original frontend reads); the ids the server adds to
// the events of a kept turn are recorded beside them, in `ids`.
import WebSocket, { type ClientOptions, type RawData } from 'ws';
import type { AgentEvent, AgentEventFrame } from '@personal-automations/contracts';

export type Closed = { code: number; reason: string };

/** A client socket that records every event and reads them in order. */
export class AgentSocket {
  readonly ws: WebSocket;
  readonly events: AgentEvent[] = [];
  /** `ids[i]`: the id of `events[i]`, or undefined when it had none. */
  readonly ids: (string | undefined)[] = [];
  readonly closed: Promise<Closed>;
  private cursor = 0;
  private ended = false;
  private waiters: (() => void)[] = [];

  private constructor(ws: WebSocket) {
    this.ws = ws;
    const wake = () => {
      for (const resolve of this.waiters.splice(0)) resolve();
    };
    ws.on('message', (data: RawData) => {
      const { id, ...event } = JSON.parse(String(data)) as AgentEventFrame;
      this.events.push(event as AgentEvent);
      this.ids.push(id);
      wake();
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => {
        this.ended = true;
        wake();
        resolve({ code, reason: String(reason) });
      }),
    );
  }

  /** Connects to the agent socket of the API at `server` (http://host:port); `options` as `ws` takes them (e.g. `autoPong: false`). */
  static open(server: string, query: string, headers: Record<string, string> = {}, options: ClientOptions = {}): Promise<AgentSocket> {
    const ws = new WebSocket(`${server.replace('http', 'ws')}/api/v1/ws/agent${query}`, { ...options, headers });
    return new Promise((resolve, reject) => ws.once('open', () => resolve(new AgentSocket(ws))).once('error', reject));
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The id of the latest event that had one. */
  lastId(): string | undefined {
    return this.ids.findLast((id) => id !== undefined);
  }

  async next(): Promise<AgentEvent> {
    for (;;) {
      if (this.cursor < this.events.length) return this.events[this.cursor++]!;
      if (this.ended) throw new Error(`socket closed; events so far: ${JSON.stringify(this.events)}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Events up to and including the first of `types`. */
  async until(...types: AgentEvent['type'][]): Promise<AgentEvent[]> {
    const seen: AgentEvent[] = [];
    for (;;) {
      const event = await this.next();
      seen.push(event);
      if (types.includes(event.type)) return seen;
    }
  }

  /** Sends a message and returns the turn's events, up to `complete` or `error`. */
  turn(frame: unknown): Promise<AgentEvent[]> {
    this.send(frame);
    return this.until('complete', 'error');
  }
}
