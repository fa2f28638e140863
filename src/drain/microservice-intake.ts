import { Server as NetServer } from 'node:net';

/** Nest's `Transport.TCP`, without importing @nestjs/microservices (not a dependency). */
const TRANSPORT_TCP = 0;

/** What is read here of Nest's NestMicroservice and its transport server. */
interface MicroserviceLike {
  getTransportServer?(): unknown;
  /** The same object, on versions without `getTransportServer()`. */
  serverInstance?: unknown;
}
interface TcpTransportLike {
  transportId?: unknown;
  unwrap(): unknown;
  close(): unknown;
  isManuallyTerminated?: boolean;
}

/** The TCP transports of a hybrid app's microservices that were started, with their listener. */
function tcpTransports(app: unknown): Array<{ transport: TcpTransportLike; server: NetServer }> {
  const microservices = (app as { getMicroservices?(): unknown[] } | undefined)?.getMicroservices?.() ?? [];
  const found: Array<{ transport: TcpTransportLike; server: NetServer }> = [];
  for (const microservice of microservices as MicroserviceLike[]) {
    const transport = (microservice.getTransportServer?.() ?? microservice.serverInstance) as Partial<TcpTransportLike> | undefined;
    if (transport?.transportId !== TRANSPORT_TCP || typeof transport.unwrap !== 'function' || typeof transport.close !== 'function') {
      continue;
    }
    let server: unknown;
    try {
      server = transport.unwrap();
    } catch {
      continue; // never started
    }
    if (server instanceof NetServer) found.push({ transport: transport as TcpTransportLike, server });
  }
  return found;
}

/**
 * @internal Phase 5 for a hybrid app's microservices: a TCP server stops accepting connections,
 * while the connections already open keep being served so in-flight replies go out.
 * Other transports are left to Nest's close: broker clients (Redis, NATS, MQTT, RMQ,
 * Kafka) take messages and send replies over one connection, and gRPC's shutdown ends
 * the whole server. Returns how many listeners it closed. To be called in the check phase,
 * right after the poll phase accepted what the kernel queued: closing resets the queue.
 */
export function closeMicroserviceListeners(app: unknown): number {
  let closed = 0;
  for (const { transport, server } of tcpTransports(app)) {
    if (!server.listening) continue;
    // ServerTCP listens again on 'close' (retryAttempts) unless it knows the close was meant.
    if ('isManuallyTerminated' in transport) transport.isManuallyTerminated = true;
    // Not ServerTCP.close(): that also destroys the open connections, and the replies with them.
    server.close();
    closed++;
  }
  return closed;
}

/**
 * @internal End of the drain: the TCP connections still open would otherwise keep dispatching
 * messages to handlers until Nest's dispose, which runs after `onModuleDestroy` closed
 * what they use. ServerTCP's own close destroys them; Nest's later close finds nothing left.
 */
export async function closeMicroserviceConnections(app: unknown): Promise<void> {
  const transports = tcpTransports(app);
  if (transports.length === 0) return;
  // Nest writes a reply on process.nextTick after the handler's Observable completed, i.e.
  // after the drain saw the unit end: let it reach the socket before the socket goes.
  await new Promise<void>((resolve) => setImmediate(resolve));
  for (const { transport } of transports) transport.close();
}
