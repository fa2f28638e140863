import type { DrainContext, DrainParticipant, TransportDrain } from './drain-participant.interface.js';
import { gatewayDrain } from './gateway.participant.js';
import { grpcDrain } from './grpc.participant.js';
import { httpDrain } from './http.participant.js';
import { kafkaClientDrain } from './kafka-client.participant.js';
import { kafkaDrain } from './kafka.participant.js';
import { mqttDrain } from './mqtt.participant.js';
import { natsDrain } from './nats.participant.js';
import { describeTransport } from './nest-transports.js';
import { rabbitMqDrain } from './rabbitmq.participant.js';
import { redisDrain } from './redis.participant.js';
import { socketIoDrain } from './socket-io.participant.js';
import { tcpDrain } from './tcp.participant.js';

/**
 * @internal Every transport the drain knows, and the app's Kafka producers, in the order phase 5
 * acts on them: Socket.IO before the HTTP listener (it closes its WebSockets itself, instead of HTTP's 1001).
 * Adding a transport: one `<transport>.participant.ts` and one line here.
 */
export const TRANSPORT_DRAINS: readonly TransportDrain[] = [
  socketIoDrain,
  httpDrain,
  gatewayDrain,
  tcpDrain,
  grpcDrain,
  natsDrain,
  redisDrain,
  rabbitMqDrain,
  mqttDrain,
  kafkaDrain,
  kafkaClientDrain,
];

/** @internal The participants found in an app, and what cannot be drained, each said in one sentence. */
export interface DetectedTransports {
  readonly participants: DrainParticipant[];
  readonly problems: string[];
}

/**
 * @internal Runs every drain of `drains` on the app; a microservice transport that none of
 * them drains (a custom strategy, ...) is one of the problems.
 */
export function detectTransports(
  context: DrainContext,
  drains: readonly TransportDrain[] = TRANSPORT_DRAINS,
): DetectedTransports {
  const participants: DrainParticipant[] = [];
  const problems: string[] = [];
  for (const drain of drains) {
    for (const found of drain.detect(context)) {
      if (typeof found === 'string') problems.push(found);
      else participants.push(found);
    }
  }
  const drained = new Set(drains.flatMap((drain) => (drain.transportId === undefined ? [] : [drain.transportId])));
  for (const server of context.microservices) {
    if (typeof server.transportId === 'number' && drained.has(server.transportId)) continue;
    problems.push(
      `${describeTransport(server)} has no drain participant: it keeps taking messages through the drain, and what ` +
        `it has in flight ` +
        `is closed by Nest's teardown, not drained (only handlers behind GracefulInterceptor are waited for).`,
    );
  }
  return { participants, problems };
}
