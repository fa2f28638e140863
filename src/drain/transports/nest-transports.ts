import type { DrainContext, DrainParticipant, TransportDrain } from './drain-participant.interface.js';

/** Nest's `Transport` ids, without importing @nestjs/microservices (not a dependency). */
export const TRANSPORT = { TCP: 0, REDIS: 1, NATS: 2, MQTT: 3, GRPC: 4, RMQ: 5, KAFKA: 6 } as const;

/** How logs name each transport: the `Transport` key, and a readable name. */
const NAMES: Record<number, [key: string, name: string]> = {
  [TRANSPORT.TCP]: ['TCP', 'TCP'],
  [TRANSPORT.REDIS]: ['REDIS', 'Redis'],
  [TRANSPORT.NATS]: ['NATS', 'NATS'],
  [TRANSPORT.MQTT]: ['MQTT', 'MQTT'],
  [TRANSPORT.GRPC]: ['GRPC', 'gRPC'],
  [TRANSPORT.RMQ]: ['RMQ', 'RabbitMQ'],
  [TRANSPORT.KAFKA]: ['KAFKA', 'Kafka'],
};

/** What is read here of Nest's NestMicroservice. */
interface MicroserviceLike {
  getTransportServer?(): unknown;
  /** The same object, on versions without `getTransportServer()`. */
  serverInstance?: unknown;
}

/** @internal A transport server of Nest's `@nestjs/microservices`, as far as it is read here. */
export interface TransportServerLike {
  transportId?: unknown;
  close(): unknown;
}

/**
 * @internal The transport servers of an app: each microservice of a hybrid app
 * (`connectMicroservice()`), or a microservice-only app's own (`createMicroservice()`).
 */
export function transportServers(app: unknown): TransportServerLike[] {
  if (app === undefined || app === null) return [];
  const hybrid = (app as { getMicroservices?(): unknown[] }).getMicroservices?.();
  const microservices = (hybrid ?? [app]) as MicroserviceLike[];
  const found: TransportServerLike[] = [];
  for (const microservice of microservices) {
    const server = (microservice.getTransportServer?.() ?? microservice.serverInstance) as
      Partial<TransportServerLike> | undefined;
    if (server && typeof server.close === 'function') found.push(server as TransportServerLike);
  }
  return found;
}

/** @internal 'Kafka microservice (Transport.KAFKA)', or a custom strategy's class name. */
export function describeTransport(server: TransportServerLike): string {
  const known = typeof server.transportId === 'number' ? NAMES[server.transportId] : undefined;
  if (known) return `${known[1]} microservice (Transport.${known[0]})`;
  return `custom transport ${(server as object).constructor?.name ?? String(server.transportId)}`;
}

/** The fields of `server` among `fields` that it lacks (an upgrade renamed them). */
function missingFields(server: object, fields: readonly string[]): string[] {
  return fields.filter((field) => !(field in server));
}

/**
 * @internal A {@link TransportDrain} for one Nest microservice transport: each server of that
 * transport gets a participant, or, when it lacks a field the participant reads, the sentence saying so.
 */
export function microserviceDrain<T extends TransportServerLike>(
  transport: string,
  transportId: number,
  fields: readonly string[],
  participant: (server: T, context: DrainContext) => DrainParticipant | string,
): TransportDrain {
  return {
    transport,
    transportId,
    detect: (context) =>
      context.microservices
        .filter((server) => server.transportId === transportId)
        .map((server) => {
          const missing = missingFields(server, fields);
          if (missing.length === 0) return participant(server as T, context);
          return (
            `${describeTransport(server)} cannot be drained: this @nestjs/microservices has no ${missing.join(', ')} ` +
            `on its server ` +
            `(renamed by an upgrade?). It keeps taking work through the drain and is closed by Nest's teardown, not ` +
            `drained.`
          );
        }),
  };
}
