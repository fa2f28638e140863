import type { DrainLedger } from './drain-ledger.js';
import { IDLE_SOCKET_GRACE_MS, KEEP_ALIVE_WINDOW_MS, WEBSOCKET_CLOSE_GRACE_MS } from './http-grace.constants.js';
import { ConnectionUnit, type Connection, type ConnectionWait } from './http-units.js';
import { closeWebSocket, webSocketOf } from './websocket-close.js';

/**
 * @internal What holds an HTTP/1.1 connection with no request in flight in the drain (its
 * {@link ConnectionUnit}), and, once the listener closed, its grace and its destroy.
 */
export class ConnectionGrace {
  constructor(private readonly ledger: DrainLedger) {}

  /** Makes `connection` wait as `why`; the new unit is open before the one it replaces ends. */
  wait(connection: Connection, why: ConnectionWait): ConnectionUnit {
    const previous = connection.waiting;
    const unit = new ConnectionUnit(connection, why);
    connection.waiting = unit;
    this.ledger.add(unit);
    if (previous) this.ledger.end(previous);
    return unit;
  }

  stopWaiting(connection: Connection): void {
    const unit = connection.waiting;
    if (!unit) return;
    connection.waiting = undefined;
    unit.ended = true;
    this.ledger.end(unit);
  }

  /**
   * Until {@link KEEP_ALIVE_WINDOW_MS} after its last answer or its accept, at least
   * {@link IDLE_SOCKET_GRACE_MS}; only the latter when Node is already closing it (its last
   * answer said `Connection: close`). One never answered keeps its 'accepted' unit.
   */
  give(connection: Connection): void {
    const unit = connection.waiting ?? this.wait(connection, 'idle');
    const told = connection.socket.writableEnded;
    const windowLeft = connection.lastActiveAt + KEEP_ALIVE_WINDOW_MS - performance.now();
    this.destroyLater(unit, told ? IDLE_SOCKET_GRACE_MS : Math.max(IDLE_SOCKET_GRACE_MS, windowLeft));
  }

  /**
   * Sends a WebSocket connection its 1001 close; false if it is none. The drain waits for the
   * handshake so that `destroyAll()` does not cut the close frame or the reply before it; the
   * grace starts only once the frame is sent.
   */
  closeWebSocket(connection: Connection): boolean {
    const ws = webSocketOf(connection.socket);
    if (!ws) return false;
    const unit = this.wait(connection, 'websocket');
    closeWebSocket(ws, 1001, 'going away', () => this.destroyLater(unit, WEBSOCKET_CLOSE_GRACE_MS));
    return true;
  }

  /**
   * Destroys the connection after `ms` if `unit` still holds it, and only after a poll
   * phase has run: a request already in the kernel's buffer is then read (and answered,
   * its unit taking over), whereas closing a socket with unread data resets it, and a
   * stalled process (GC, CPU) has such sockets. One receiving a request is left to it.
   */
  private destroyLater(unit: ConnectionUnit, ms: number): void {
    const decide = () => {
      if (unit.connection.waiting !== unit || unit.receiving) return;
      unit.connection.socket.destroy();
      this.stopWaiting(unit.connection);
    };
    // Timers run before the poll phase, immediates after it.
    setTimeout(() => setImmediate(decide), ms).unref();
  }
}
