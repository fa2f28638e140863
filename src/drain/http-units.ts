import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { DrainUnit } from './drain-ledger.js';
import { headerOf } from './response-head.js';
import type { WorkKind } from './work-unit.interface.js';

/** @internal What an HTTP server's connection is doing, as its tracker keeps it. */
export class Connection {
  /** Requests read on it and not yet answered (more than one when pipelined). */
  active = 0;
  /** The last request read on it, while it runs: only its response may say `Connection: close`. */
  last?: RequestUnit;
  /** The unit that holds the drain open while it has no request: see {@link ConnectionUnit}. */
  waiting?: ConnectionUnit;
  /** When it was accepted, then when each of its responses ended (to 10 ms: the tracker's coarse clock). */
  lastActiveAt = performance.now();

  constructor(readonly socket: Socket) {}

  /**
   * It sent its last response: Node ended the socket after it, or the last request's
   * response, still being written, said `Connection: close`.
   */
  get saidClose(): boolean {
    const res = this.last?.res;
    return (
      this.socket.writableEnded || (res !== undefined && res.headersSent && /close/i.test(headerOf(res, 'connection')))
    );
  }
}

/** @internal Why a connection with no request in flight holds the drain open. */
export type ConnectionWait =
  /** Accepted by a TLS server, its handshake not over (the raw socket). */
  | 'handshake'
  /** Accepted, its first request not read yet (or upgraded, until phase 5 says to what). */
  | 'accepted'
  /** Between requests after the listener closed: it may still bring one (its grace). */
  | 'idle'
  /** Its WebSocket was sent the 1001 close; waiting for the peer's answer. */
  | 'websocket';

const NAMES: Record<ConnectionWait, string> = {
  handshake: 'connection in its TLS handshake',
  accepted: 'connection awaiting its first request',
  idle: 'keep-alive connection in its grace',
  websocket: 'WebSocket close handshake',
};

/**
 * @internal A connection with no request in flight that the drain must still wait for. Once bytes
 * arrived on it that Node has not yet made a request of (a request still being received),
 * it is work: it is not closed at the end of its grace, and cutting it loses a request.
 */
export class ConnectionUnit extends DrainUnit {
  readonly startedAt = performance.now();
  /** What the socket had read when this wait began: more since means a request is arriving. */
  private readonly bytesAtStart: number;
  /** Set when the wait ends other than by the cut (a request took over, the socket closed). */
  ended = false;

  constructor(
    readonly connection: Connection,
    readonly wait: ConnectionWait,
  ) {
    super();
    this.bytesAtStart = connection.socket.bytesRead;
  }

  /**
   * Bytes of a request have arrived that Node has not yet parsed into one. Node's HTTP
   * server keeps its parser on the socket (`socket.parser`) until an upgrade or the close
   * takes it: an upgraded socket's bytes are not a request. On a raw TLS socket, bytes
   * mean its handshake is under way (the raw socket counts what the TLS layer reads).
   */
  get receiving(): boolean {
    const socket = this.connection.socket as Socket & { parser?: unknown };
    const arrived = socket.bytesRead > this.bytesAtStart;
    if (this.wait === 'handshake') return arrived;
    return this.wait !== 'websocket' && socket.parser != null && arrived;
  }

  get kind(): WorkKind {
    return this.wait === 'websocket' ? 'ws' : 'http';
  }

  get name(): string {
    if (!this.receiving) return NAMES[this.wait];
    return this.wait === 'handshake' ? 'TLS handshake under way' : 'request being received';
  }

  /** Never counted as drained (the request it brings is); aborted when cut while receiving a request. */
  get isWork(): boolean {
    return !this.ended && this.wait !== 'handshake' && this.receiving;
  }

  override cut(): void {
    this.connection.socket.destroy();
  }
}

/** @internal A response of `node:http` or of `node:http2`'s compatibility API. */
export interface AnyResponse extends NodeJS.EventEmitter {
  readonly writableEnded: boolean;
  readonly headersSent: boolean;
  end(...args: unknown[]): unknown;
}

/**
 * @internal Calls `done` once the handler is done with `res`, whose request's client may have gone
 * away: at once when it answered (or is answering: headers out, a stream piped), else when
 * it answers into the void. The handler still runs and must not find its database closed
 * under it; the frameworks answer with `res.end()` or a pipe.
 */
export function afterHandler(res: AnyResponse, done: () => void): void {
  if (res.writableEnded || res.headersSent) return done();
  const end = res.end;
  const answered = (): void => {
    res.end = end;
    res.off('pipe', answered);
    done();
  };
  res.end = function (this: AnyResponse, ...args: unknown[]) {
    const result = end.apply(this, args);
    answered();
    return result;
  };
  res.once('pipe', answered);
}

/** @internal What a request tells when it ends. */
export interface RequestOwner {
  requestEnded(unit: RequestUnit): void;
}

/**
 * @internal One request, from its parsed head to its response's 'close' — or, when its client went
 * away before the answer, to the moment its handler answers into the void: the handler still
 * runs and must not find its database closed under it.
 */
export class RequestUnit extends DrainUnit {
  /** Set once its end was handled: the response's 'close', or the sweep after its socket closed. */
  ended = false;
  /** Its response was given `Connection: close` by the tracker. */
  private toldClose = false;
  private waitingForHandler = false;

  constructor(
    readonly owner: RequestOwner,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly connection: Connection | undefined,
    readonly startedAt: number,
  ) {
    super();
  }

  /** Answers with `Connection: close`: the last request read on its connection, after phase 5. */
  tellClose(): void {
    this.res.setHeader('Connection', 'close');
    this.toldClose = true;
  }

  /** A pipelined request was read behind it: saying close is now that one's, unless this head is out. */
  takeBackClose(): void {
    if (!this.toldClose || this.res.headersSent) return;
    this.res.removeHeader('Connection');
    this.toldClose = false;
  }

  /** The response's 'close' listener, also called for each request of a connection that closed. */
  readonly onClose = (): void => {
    if (this.res.writableEnded || this.res.headersSent) return this.owner.requestEnded(this);
    if (this.waitingForHandler) return;
    this.waitingForHandler = true;
    afterHandler(this.res, () => this.owner.requestEnded(this));
  };

  get kind(): WorkKind {
    return 'http';
  }

  get name(): string {
    const name = `${this.req.method} ${(this.req.url ?? '').split('?')[0]}`;
    return this.isWork ? name : `${name} (Socket.IO long-poll)`;
  }

  /** Read only during the drain. Not an engine.io long-poll: see {@link isLongPoll}. */
  get isWork(): boolean {
    return !isLongPoll(this.req);
  }

  override cut(): void {
    this.req.socket.destroy();
  }
}

/**
 * An engine.io (Socket.IO) long-poll: a GET of an open session, which engine.io holds until
 * it has packets for the client (up to `pingInterval`, 25 s). It is the channel the
 * replies travel on, not work: the handlers are, and the session's close at phase 5
 * answers it. POSTs carry the client's messages and are work.
 */
function isLongPoll(req: IncomingMessage): boolean {
  const url = req.url ?? '';
  return req.method === 'GET' && url.includes('transport=polling') && url.includes('sid=') && url.includes('EIO=');
}
