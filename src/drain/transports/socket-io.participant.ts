import { closeWebSocketWith, whenNoHandlerRuns } from '../websocket-close.js';
import type { DrainContext, DrainParticipant, TransportDrain } from './drain-participant.interface.js';

/** What is used here of an engine.io `Socket`: one client connection, under every Socket.IO namespace it joined. */
interface EngineConnectionLike {
  readyState: string;
  transport: { name: string; socket?: unknown; writable?: boolean };
  close(): void;
  /** Sends the packets buffered, if the transport can (a long-poll is waiting). */
  flush(): void;
  once(event: 'close', listener: () => void): unknown;
}

type AllowRequest = (req: unknown, callback: (error: string | null | undefined, success: boolean) => void) => void;

/** What is used here of an engine.io `Server`. */
interface EngineLike {
  clients: Record<string, EngineConnectionLike>;
  opts: { allowRequest?: AllowRequest };
}

/** A Socket.IO `Server` (`engine`) or `Namespace` (`server.engine`), as Nest's IoAdapter creates them. */
interface IoServerLike {
  engine?: EngineLike;
  server?: { engine?: EngineLike };
}

/** Where Nest keeps the gateways' servers: `NestApplication.socketModule.socketsContainer`, Nest 11 and 12 alike. */
interface AppWithSockets {
  socketModule?: { socketsContainer?: { getAll?(): Map<unknown, { server?: unknown }> } } | null;
}

/** @internal What a refused engine.io handshake says (engine.io answers it with 403 Forbidden). */
export const SOCKET_IO_REFUSAL = 'nestjs-graceful: this instance is shutting down';

function isEngine(value: unknown): value is EngineLike {
  const engine = value as Partial<EngineLike> | undefined;
  return typeof engine?.clients === 'object' && engine.clients !== null && typeof engine.opts === 'object';
}

/** The engine.io servers behind the app's Socket.IO gateways, each once (namespaces share theirs). */
function enginesOf(hosts: Map<unknown, { server?: unknown }>): Set<EngineLike> {
  const engines = new Set<EngineLike>();
  for (const { server } of hosts.values()) {
    const io = server as IoServerLike | undefined;
    const engine = io?.engine ?? io?.server?.engine;
    if (isEngine(engine)) engines.add(engine);
  }
  return engines;
}

/**
 * Calls `onClosed` once `connection` has closed its transport (a WebSocket's close frame is
 * then on its way), at once if it already has.
 */
function whenClosed(connection: EngineConnectionLike, onClosed: () => void): void {
  if (connection.readyState === 'closed') onClosed();
  else connection.once('close', onClosed);
}

/**
 * Keeps a long-polling transport's packets buffered until the returned function is called:
 * engine.io answers the waiting poll with the first packet sent, and after phase 5 a
 * client that opens a connection per poll (socket.io-client in Node) cannot bring another,
 * so every ack must travel in the one poll already waiting. Done by making the transport
 * look not writable (engine.io's `flush()` reads `transport.writable`).
 */
function holdPackets(transport: EngineConnectionLike['transport']): () => void {
  let writable = transport.writable;
  let held = true;
  Object.defineProperty(transport, 'writable', {
    configurable: true,
    enumerable: true,
    get: () => !held && writable,
    set: (value: boolean) => (writable = value),
  });
  return () => {
    held = false;
    delete transport.writable;
    transport.writable = writable;
  };
}

/**
 * Closes `connection` once no handler is running for it, those its client starts
 * meanwhile included (a client that keeps them overlapping holds it until `stopTimeout`,
 * when they are reported aborted). A WebSocket's
 * replies went out as each handler ended, and its close frame follows. A long-poll's go
 * out now, in one response; engine.io's close packet waits for the next poll, which a
 * client that opens a connection per poll finds refused ("transport error", and it
 * reconnects). Not in the same response: socket.io-client hands packets on a tick later,
 * and a close read with them drops their acks.
 */
function closeWhenHandled(connection: EngineConnectionLike): void {
  const release = connection.transport.name === 'polling' ? holdPackets(connection.transport) : undefined;
  whenNoHandlerRuns(connection, () => {
    release?.();
    connection.close();
    connection.flush();
  });
}

/**
 * The engine.io servers behind an app's Socket.IO gateways. Phase 5, before the HTTP
 * listener closes: each refuses new sessions (a handshake on a connection still open gets
 * 403), and each client connection is closed once no handler is running for it (their
 * replies and acks go out first). The close is engine.io's own, not a Socket.IO disconnect:
 * clients see "transport close" and reconnect, to another instance. A WebSocket transport's
 * connection is held in the drain until the client answers the close frame (see
 * `HttpConnections`). Nest's teardown closes the servers.
 */
class SocketIoParticipant implements DrainParticipant {
  readonly name = 'Socket.IO';

  constructor(private readonly engines: ReadonlySet<EngineLike>) {}

  stopAccepting(): string | void {
    let told = 0;
    for (const engine of this.engines) {
      engine.opts.allowRequest = (_req, callback) => callback(SOCKET_IO_REFUSAL, false);
      for (const connection of Object.values(engine.clients)) {
        const ws = connection.transport.name === 'websocket' ? connection.transport.socket : undefined;
        if (typeof ws === 'object' && ws !== null) closeWebSocketWith(ws, (onSent) => whenClosed(connection, onSent));
        closeWhenHandled(connection);
        told++;
      }
    }
    if (told > 0) return `closing ${told} Socket.IO connection(s) once their handlers replied`;
  }
}

/** @internal Finds the Socket.IO gateways among the servers Nest made for the app's gateways. */
export const socketIoDrain: TransportDrain = {
  transport: 'Socket.IO',
  detect({ app }: DrainContext) {
    const socketModule = (app as AppWithSockets | undefined)?.socketModule;
    if (!socketModule) return []; // no @nestjs/websockets, or no gateway
    const hosts = socketModule.socketsContainer?.getAll?.();
    if (!(hosts instanceof Map)) {
      return [
        'Socket.IO gateways cannot be drained: this @nestjs/core has no socketModule.socketsContainer.getAll() ' +
          "(renamed by an upgrade?). Their clients are cut by Nest's teardown, not drained.",
      ];
    }
    const engines = enginesOf(hosts);
    return engines.size > 0 ? [new SocketIoParticipant(engines)] : [];
  },
};
