import { Server as NetServer, type Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import type { DrainLedger } from '../drain-ledger.js';
import { closeWhenQuiet } from '../listener-close.js';
import type { DrainParticipant } from './drain-participant.interface.js';
import { microserviceDrain, TRANSPORT, type TransportServerLike } from './nest-transports.js';

/**
 * @internal How long a client gets, once its connection was ended after the drain, to end its
 * side: Nest's ClientTCP does so at once on the FIN. Waiting for it, rather than destroying
 * the socket, keeps the replies just flushed from being reset by unread bytes.
 */
export const TCP_CLOSE_GRACE_MS = 1_000;

/** Nest's ServerTCP, as read here: `unwrap()` is public, `isManuallyTerminated` is not. */
interface TcpTransportLike extends TransportServerLike {
  unwrap(): unknown;
  isManuallyTerminated: boolean;
}

/**
 * A TCP transport (alone or in a hybrid app). Its connections are tracked from their
 * accept (a TLS one from its handshake's end: the socket Nest reads). Phase 5: the
 * listener stops accepting once a turn of the loop accepted nothing ({@link closeWhenQuiet}:
 * closing it resets the kernel's queue); connections already open keep being served, so in-flight
 * replies go out. Disconnect: every connection stops dispatching in the drain's own
 * event-loop turn (nothing read after the drain reaches a handler: the client's request
 * fails with "Connection closed" without having run), is ended after the replies already
 * written, and closes once its client answers the FIN; then the transport's own close.
 */
class TcpParticipant implements DrainParticipant {
  readonly name = 'TCP microservice';
  private readonly sockets = new Set<Socket>();
  private readonly acceptEvent: 'connection' | 'secureConnection';
  /** Connections accepted so far (a TLS one at its accept, before its handshake): the close waits for a quiet turn. */
  private accepted = 0;

  constructor(
    private readonly transport: TcpTransportLike,
    private readonly server: NetServer,
    private readonly ledger: DrainLedger,
  ) {
    this.acceptEvent = server instanceof TlsServer ? 'secureConnection' : 'connection';
    server.on('connection', this.count);
    server.on(this.acceptEvent, this.onAccept);
  }

  async stopAccepting(): Promise<string | void> {
    if (!this.server.listening) return;
    // ServerTCP listens again on 'close' (retryAttempts) unless it knows the close was meant.
    this.transport.isManuallyTerminated = true;
    // Not ServerTCP.close(): that also destroys the open connections, and the replies with them.
    await closeWhenQuiet(this.server, this.ledger, 'rpc', () => this.accepted);
    return `${this.name}: stopped accepting (${this.sockets.size} connection(s) still served)`;
  }

  async closeRemaining(signal: AbortSignal): Promise<void> {
    // Synchronously, before any await: the next poll phase may already hold a client's next message.
    const closed = Promise.all([...this.sockets].map((socket) => this.end(socket)));
    if (!signal.aborted)
      await Promise.race([closed, new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }))]);
    this.transport.close(); // destroys what did not close in time
  }

  detach(): void {
    this.server.off('connection', this.count);
    this.server.off(this.acceptEvent, this.onAccept);
  }

  private readonly count = (): void => {
    this.accepted++;
  };

  private readonly onAccept = (socket: Socket): void => {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  };

  /**
   * Stops dispatching what `socket` brings (Nest's JsonSocket reads its 'data' events: what
   * arrives from now on is read and dropped), ends it after what was written, and resolves
   * once it closed, or after {@link TCP_CLOSE_GRACE_MS}.
   */
  private end(socket: Socket): Promise<void> {
    socket.removeAllListeners('data');
    socket.resume();
    socket.end();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, TCP_CLOSE_GRACE_MS);
      timer.unref();
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** @internal */
export const tcpDrain = microserviceDrain<TcpTransportLike>(
  'TCP',
  TRANSPORT.TCP,
  ['unwrap', 'isManuallyTerminated'],
  (tcp, { ledger }) => {
    let server: unknown;
    try {
      server = tcp.unwrap();
    } catch {
      // Nest 12 creates the net.Server with the transport; unwrap() throws only before that.
    }
    if (server instanceof NetServer) return new TcpParticipant(tcp, server, ledger);
    return (
      `TCP microservice (Transport.TCP) cannot be drained: its unwrap() gave no net.Server at start-up. It is ` +
      `closed by Nest's teardown, not drained.`
    );
  },
);
