/** Nest's `Transport` ids, without importing @nestjs/microservices (not a dependency). */
export const TRANSPORT = { TCP: 0, REDIS: 1, NATS: 2, MQTT: 3, GRPC: 4, RMQ: 5 } as const;

/** What is read here of Nest's NestMicroservice. */
interface MicroserviceLike {
  getTransportServer?(): unknown;
  /** The same object, on versions without `getTransportServer()`. */
  serverInstance?: unknown;
}

/** A transport server of Nest's `@nestjs/microservices`, as far as it is read here. */
export interface TransportServerLike {
  transportId?: unknown;
  close(): unknown;
}

/**
 * The transport servers of an app: each microservice of a hybrid app
 * (`connectMicroservice()`), or a microservice-only app's own (`createMicroservice()`).
 */
export function transportServers(app: unknown): TransportServerLike[] {
  if (app === undefined || app === null) return [];
  const hybrid = (app as { getMicroservices?(): unknown[] }).getMicroservices?.();
  const microservices = (hybrid ?? [app]) as MicroserviceLike[];
  const found: TransportServerLike[] = [];
  for (const microservice of microservices) {
    const server = (microservice.getTransportServer?.() ?? microservice.serverInstance) as Partial<TransportServerLike> | undefined;
    if (server && typeof server.close === 'function') found.push(server as TransportServerLike);
  }
  return found;
}

/** The transport servers of one kind. */
export function transportsOf<T extends TransportServerLike>(app: unknown, transportId: number): T[] {
  return transportServers(app).filter((server) => server.transportId === transportId) as T[];
}
