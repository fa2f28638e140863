import type { INestApplicationContext } from '@nestjs/common';
import { Server as NetServer } from 'node:net';
import { StopSignals } from './stop-signals.service.js';
import { closeBrokerConnections, stopConsuming } from './transports/broker-transports.js';
import { closeGrpcConnections, closeGrpcListeners, setGrpcServing, watchGrpcTransports } from './transports/grpc-transport.js';
import { TRANSPORT, transportsOf } from './transports/nest-transports.js';
import { WorkTracker } from './work-tracker.service.js';

interface TcpTransportLike {
  transportId?: unknown;
  unwrap(): unknown;
  close(): unknown;
  isManuallyTerminated?: boolean;
}

/** The TCP transports of a hybrid app's microservices that were started, with their listener. */
function tcpTransports(app: unknown): Array<{ transport: TcpTransportLike; server: NetServer }> {
  const found: Array<{ transport: TcpTransportLike; server: NetServer }> = [];
  for (const transport of transportsOf<TcpTransportLike>(app, TRANSPORT.TCP)) {
    if (typeof transport.unwrap !== 'function') continue;
    let server: unknown;
    try {
      server = transport.unwrap();
    } catch {
      continue; // never started
    }
    if (server instanceof NetServer) found.push({ transport, server });
  }
  return found;
}

/** The app's own provider, or undefined (an app without GracefulModule, or a stand-in in a test). */
function provider<T>(app: unknown, token: abstract new (...args: never[]) => T): T | undefined {
  try {
    return (app as Partial<INestApplicationContext> | undefined)?.get?.(token, { strict: false });
  } catch {
    return undefined;
  }
}

/**
 * At start, once the app's microservices were created (calling it again does nothing):
 * gRPC calls become units of work one by one, and the gRPC health service is added
 * (NOT_SERVING until {@link setMicroservicesServing}).
 */
export function watchMicroserviceTransports(app: unknown): void {
  const work = provider(app, WorkTracker);
  const signals = provider(app, StopSignals);
  if (work && signals) watchGrpcTransports(app, work, signals.draining);
}

/** The app became ready (or not): the gRPC health service reports it; the stop's phase 1 overrides it. */
export function setMicroservicesServing(app: unknown, serving: boolean): void {
  setGrpcServing(app, serving);
}

/**
 * Phase 5 for an app's microservices: a TCP server stops accepting connections, while
 * the connections already open keep being served so in-flight replies go out; a gRPC
 * server stops listening and sends GOAWAY (see closeGrpcListeners); a message broker's
 * transport stops consuming (see stopConsuming). Returns how many listeners and
 * consumers it closed. To be called in the check phase, right after the poll phase
 * accepted what the kernel queued: closing resets the queue.
 */
export async function closeMicroserviceListeners(app: unknown): Promise<number> {
  let closed = 0;
  for (const { transport, server } of tcpTransports(app)) {
    if (!server.listening) continue;
    // ServerTCP listens again on 'close' (retryAttempts) unless it knows the close was meant.
    if ('isManuallyTerminated' in transport) transport.isManuallyTerminated = true;
    // Not ServerTCP.close(): that also destroys the open connections, and the replies with them.
    server.close();
    closed++;
  }
  return closed + closeGrpcListeners(app, provider(app, WorkTracker)) + (await stopConsuming(app));
}

/**
 * @internal End of the drain: the TCP connections still open would otherwise keep dispatching
 * messages to handlers until Nest's dispose, which runs after `onModuleDestroy` closed
 * what they use. ServerTCP's own close destroys them; Nest's later close finds nothing left.
 * gRPC calls still open are cancelled (see closeGrpcConnections), and broker connections
 * are closed (see closeBrokerConnections).
 */
export async function closeMicroserviceConnections(app: unknown): Promise<void> {
  // Nest writes a TCP reply on process.nextTick after the handler's Observable completed,
  // i.e. after the drain saw the unit end, and a gRPC Watch stream ended at phase 5 writes
  // its status on a later tick: let them reach the socket before the socket goes.
  await new Promise<void>((resolve) => setImmediate(resolve));
  for (const { transport } of tcpTransports(app)) transport.close();
  closeGrpcConnections(app);
  await closeBrokerConnections(app);
}
