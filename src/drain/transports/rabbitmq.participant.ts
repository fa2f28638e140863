import type { DrainParticipant } from './drain-participant.interface.js';
import { microserviceDrain, TRANSPORT, type TransportServerLike } from './nest-transports.js';

/** amqp-connection-manager's ChannelWrapper, and the amqplib channel it keeps in `_channel` (private). */
interface ChannelWrapperLike {
  _channel?: { consumers?: Map<string, unknown>; cancel(consumerTag: string): Promise<unknown> };
}

/** Nest's ServerRMQ, as read here (private fields). */
interface RmqTransportLike extends TransportServerLike {
  channel: ChannelWrapperLike | null;
  server: unknown;
}

/**
 * A RabbitMQ transport. Phase 5: its consumer is cancelled (`basic.cancel`); messages
 * delivered and not yet acknowledged stay with it until it acknowledges them or its
 * channel closes, which requeues them. Disconnect: the transport's own close (channel,
 * then connection), then its objects are forgotten so Nest's later close has nothing to do twice.
 */
class RabbitMqParticipant implements DrainParticipant {
  readonly name = 'RabbitMQ microservice';

  constructor(private readonly rmq: RmqTransportLike) {}

  async stopAccepting(): Promise<string | void> {
    if (!this.rmq.channel) return;
    const channel = this.rmq.channel._channel;
    if (!channel || !(channel.consumers instanceof Map)) {
      // Connected, yet not as read here: amqp-connection-manager or amqplib renamed a private field.
      throw new Error(
        `${this.name}: amqp-connection-manager's ChannelWrapper has no _channel.consumers: its consumer cannot be ` +
          `cancelled`,
      );
    }
    const tags = [...channel.consumers.keys()];
    await Promise.all(tags.map((tag) => channel.cancel(tag)));
    if (tags.length > 0) return `${this.name}: stopped accepting (${tags.length} consumer(s) cancelled)`;
  }

  async closeRemaining(): Promise<void> {
    if (!this.rmq.channel && !this.rmq.server) return;
    await this.rmq.close();
    this.rmq.channel = this.rmq.server = null;
  }
}

/** @internal */
export const rabbitMqDrain = microserviceDrain<RmqTransportLike>(
  'RabbitMQ',
  TRANSPORT.RMQ,
  ['channel', 'server'],
  (rmq) => new RabbitMqParticipant(rmq),
);
