// Opens the agent connections of this process: each one takes a slot in its user's socket count
// first, so a user cannot hold more than AGENT_MAX_SOCKETS_PER_USER sockets (each a running cost
// in model turns and server memory) across all API processes.
import type { ConnectionDeps } from './connection.ts';
import { AgentConnection, type AgentConnectionOptions } from './connection.ts';
import type { AgentSocketSlots } from './socket-slots.ts';
import { openTurnStream, type StreamedEvent, type TurnStreamRequest } from './turn-stream.ts';

export const SOCKET_LIMIT_REASON = 'Too many agent sockets';
export const tooManySockets = (max: number): string => `Too many open agent sockets: at most ${max} per user; close one and try again`;

export type AgentServiceDeps = ConnectionDeps & { socketSlots: AgentSocketSlots };

export class AgentService {
  private readonly deps: ConnectionDeps;
  private readonly socketSlots: AgentSocketSlots;

  constructor({ socketSlots, ...deps }: AgentServiceDeps) {
    this.deps = deps;
    this.socketSlots = socketSlots;
  }

  /**
   * A connection for a socket whose login the transport has checked, or undefined when the user
   * already holds the most sockets allowed: the socket is then told so in an `error` event and
   * ended (`socket_limit`).
   */
  async connect(options: AgentConnectionOptions): Promise<AgentConnection | undefined> {
    const slot = await this.socketSlots.acquire(options.login.userId);
    if (!slot) {
      options.send({ type: 'error', data: { message: tooManySockets(this.socketSlots.maxPerUser) } });
      options.end({ cause: 'socket_limit', reason: SOCKET_LIMIT_REASON });
      return undefined;
    }
    const connection = new AgentConnection(this.deps, options, slot);
    await connection.open();
    return connection;
  }

  /**
   * One turn as a stream of events (the tRPC subscription and its REST form over SSE). A turn
   * that is refused (turn budget, daily token quota, sockets and streams per user) throws before
   * its first event.
   */
  stream(request: TurnStreamRequest): Promise<AsyncIterable<StreamedEvent>> {
    return openTurnStream({ ...this.deps, socketSlots: this.socketSlots }, request);
  }
}
