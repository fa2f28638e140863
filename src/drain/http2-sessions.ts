import type { IncomingHttpHeaders, ServerHttp2Session, ServerHttp2Stream } from 'node:http2';
import type { IncomingMessage, Server } from 'node:http';
import { DrainUnit, type DrainLedger } from './drain-ledger.js';
import type { HttpTracker } from './http-tracker.interface.js';
import { afterHandler, type AnyResponse } from './http-units.js';
import type { WorkKind } from './work-unit.interface.js';

/**
 * @internal A `node:http2` server (`createServer` or `createSecureServer`), told by its public
 * `updateSettings()`: Node exports no class to test with `instanceof`.
 */
export function isHttp2Server(server: object): boolean {
  return typeof (server as { updateSettings?: unknown }).updateSettings === 'function';
}

/** @internal What one HTTP/2 session holds, as its tracker keeps it. */
class Session {
  /** Streams opened and not yet closed. */
  streams = 0;
  /** Holds the drain while it has no open stream; ended when a stream opens or the session closes. */
  idle?: SessionUnit;

  constructor(readonly session: ServerHttp2Session) {}
}

/**
 * @internal A session with no open stream: it only holds the drain open (no request is lost
 * with it), until phase 5's GOAWAY closes it.
 */
class SessionUnit extends DrainUnit {
  readonly startedAt = performance.now();
  readonly kind: WorkKind = 'http';
  readonly name = 'HTTP/2 session with no open stream';
  readonly isWork = false;

  constructor(readonly owner: Session) {
    super();
  }

  override cut(): void {
    this.owner.session.destroy();
  }
}

/** @internal One HTTP/2 stream (a request), from the server's 'stream' event to the stream's 'close'. */
class StreamUnit extends DrainUnit {
  readonly startedAt = performance.now();
  readonly kind: WorkKind = 'http';
  readonly name: string;
  readonly isWork = true;
  /** Its response, when the server answers it through the compatibility API (`'request'`, as Fastify does). */
  res?: AnyResponse;

  constructor(
    readonly owner: Session,
    headers: IncomingHttpHeaders,
  ) {
    super();
    this.name = `${headers[':method'] ?? ''} ${(headers[':path'] ?? '').split('?')[0]}`;
  }

  /** The deadline: the session still holding it is destroyed, with every stream on it (the client sees CANCEL). */
  override cut(): void {
    this.owner.session.destroy();
  }
}

/**
 * @internal Puts an HTTP/2 server's sessions and streams in the drain ledger. Each stream is a
 * unit of work; a session with none holds the drain as a connection would. Phase 5 closes
 * every session (GOAWAY): streams in flight finish, a stream the client opens after it is
 * refused by the protocol (its client knows it was never processed), and the session
 * closes once its last stream has. HTTP/1.1 requests on a secure server with `allowHTTP1`
 * stay with {@link HttpConnections}.
 */
export class Http2Sessions implements HttpTracker {
  private readonly sessions = new Map<ServerHttp2Session, Session>();
  private readonly units = new WeakMap<ServerHttp2Stream, StreamUnit>();
  private closing = false;

  constructor(
    private readonly server: Server,
    private readonly ledger: DrainLedger,
  ) {
    server.on('session', this.onSession);
    // Before Node's own 'stream' listener, which emits the compatibility API's 'request'.
    server.prependListener('stream', this.onStream);
    server.prependListener('request', this.onRequest);
  }

  /**
   * Phase 5, after the server's {@link HttpConnections} closed the listener: GOAWAY on every session; an idle one
   * closes at once.
   */
  closeListener(): void {
    this.closing = true;
    for (const session of this.sessions.keys()) session.close();
  }

  /** End of the drain: no stream is left; destroy what has not closed yet so the server's close completes. */
  destroyAll(): void {
    for (const session of this.sessions.keys()) session.destroy();
  }

  detach(): void {
    this.server.off('session', this.onSession);
    this.server.off('stream', this.onStream);
    this.server.off('request', this.onRequest);
  }

  private readonly onSession = (session: ServerHttp2Session): void => {
    const entry = new Session(session);
    this.sessions.set(session, entry);
    this.wait(entry);
    session.once('close', () => {
      this.sessions.delete(session);
      this.stopWaiting(entry);
    });
    // Set up after phase 5 (its TLS handshake ended after the listener closed): GOAWAY before
    // any stream, which its client may retry elsewhere; once Node has finished setting it up.
    if (this.closing) process.nextTick(() => session.close());
  };

  private readonly onStream = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void => {
    const entry = this.sessions.get(stream.session as ServerHttp2Session);
    if (!entry) return;
    const unit = new StreamUnit(entry, headers);
    this.units.set(stream, unit);
    this.ledger.add(unit);
    entry.streams++;
    this.stopWaiting(entry);
    // A stream its client reset ends once its handler has answered into the void.
    stream.once('close', () =>
      unit.res ? afterHandler(unit.res, () => this.streamEnded(unit)) : this.streamEnded(unit),
    );
  };

  private readonly onRequest = (req: IncomingMessage & { stream?: ServerHttp2Stream }, res: AnyResponse): void => {
    const unit = req.stream && this.units.get(req.stream);
    if (unit) unit.res = res;
  };

  private streamEnded(unit: StreamUnit): void {
    const entry = unit.owner;
    // A session that stays open holds the drain again, added before the stream's unit ends.
    if (--entry.streams === 0 && !entry.session.closed && !entry.session.destroyed) this.wait(entry);
    this.ledger.end(unit);
  }

  private wait(entry: Session): void {
    if (entry.idle) return;
    entry.idle = new SessionUnit(entry);
    this.ledger.add(entry.idle);
  }

  private stopWaiting(entry: Session): void {
    const unit = entry.idle;
    entry.idle = undefined;
    if (unit) this.ledger.end(unit);
  }
}
