import type { DrainParticipant } from './drain-participant.interface.js';
import { microserviceDrain, TRANSPORT, type TransportServerLike } from './nest-transports.js';

/** Nest's ServerNats, as read here (private fields; nats.js v3 subscriptions and connection). */
interface NatsTransportLike extends TransportServerLike {
  subscriptions: Array<{ drain(): Promise<void>; isClosed(): boolean }>;
  natsClient?: { flush(): Promise<void>; isClosed(): boolean } | null;
}

/**
 * A NATS transport. Phase 5: every subscription is drained (unsubscribed at the server,
 * messages already received still handled, their replies sent over the same connection).
 * Disconnect: the connection is flushed, then closed by the transport's own close.
 */
class NatsParticipant implements DrainParticipant {
  readonly name = 'NATS microservice';

  constructor(private readonly nats: NatsTransportLike) {}

  async stopAccepting(): Promise<string | void> {
    const open = this.nats.subscriptions.filter((subscription) => !subscription.isClosed());
    await Promise.all(open.map((subscription) => subscription.drain()));
    if (open.length > 0) return `${this.name}: stopped accepting (${open.length} subscription(s) drained)`;
  }

  async closeRemaining(): Promise<void> {
    if (this.nats.natsClient && !this.nats.natsClient.isClosed()) await this.nats.natsClient.flush();
    await this.nats.close(); // sets natsClient to null: Nest's later close has nothing to do
  }
}

/** @internal */
export const natsDrain = microserviceDrain<NatsTransportLike>(
  'NATS',
  TRANSPORT.NATS,
  ['subscriptions', 'natsClient'],
  (nats) => new NatsParticipant(nats),
);
