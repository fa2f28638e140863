import type { DrainParticipant } from './drain-participant.interface.js';
import { microserviceDrain, TRANSPORT, type TransportServerLike } from './nest-transports.js';

/** Nest's ServerRedis, as read here (private fields; ioredis clients: one subscribes, one publishes replies). */
interface RedisTransportLike extends TransportServerLike {
  subClient?: { status: string; unsubscribe(): Promise<unknown>; punsubscribe(): Promise<unknown> } | null;
  pubClient?: unknown;
}

/**
 * A Redis transport. Phase 5: the subscriber client unsubscribes from every channel and
 * pattern; running handlers still publish their replies. Disconnect: the transport's own
 * close (`QUIT` goes after the replies already queued), then its clients are forgotten so
 * Nest's later close has nothing to do twice.
 */
class RedisParticipant implements DrainParticipant {
  readonly name = 'Redis microservice';

  constructor(private readonly redis: RedisTransportLike) {}

  async stopAccepting(): Promise<string | void> {
    const client = this.redis.subClient;
    if (!client || client.status !== 'ready') return;
    await Promise.all([client.unsubscribe(), client.punsubscribe()]);
    return `${this.name}: stopped accepting (unsubscribed)`;
  }

  async closeRemaining(): Promise<void> {
    if (!this.redis.subClient && !this.redis.pubClient) return;
    await this.redis.close();
    this.redis.subClient = this.redis.pubClient = null;
  }
}

/** @internal */
export const redisDrain = microserviceDrain<RedisTransportLike>(
  'Redis',
  TRANSPORT.REDIS,
  ['subClient', 'pubClient'],
  (redis) => new RedisParticipant(redis),
);
