import { Logger } from '@nestjs/common';
import { trackGrpcCalls, trackGrpcSessions } from './grpc-calls.js';
import { GrpcHealth } from './grpc-health.js';
import type { GrpcServerLike, GrpcTransportLike } from './grpc-server-like.js';
import type { DrainContext, DrainParticipant } from './drain-participant.interface.js';
import { microserviceDrain, TRANSPORT } from './nest-transports.js';

const logger = new Logger('Graceful');

/**
 * A gRPC transport (`@grpc/grpc-js`). From start: one unit of work per call and the
 * standard health service (NOT_SERVING until ready, again from phase 1); a transport not
 * listening yet (a microservice-only app at bootstrap) gets them once it listens. Phase 5:
 * the server stops listening and sends GOAWAY on every connection (grpc-js `unbind()`):
 * calls in flight go on, a call started after it is refused before any handler runs, and
 * health Watch streams end. Disconnect: the calls still open (those the drain gave up on)
 * are cancelled (`forceShutdown()`).
 */
class GrpcParticipant implements DrainParticipant {
  readonly name = 'gRPC microservice';
  private readonly health: GrpcHealth;

  constructor(
    private readonly transport: GrpcTransportLike,
    private readonly context: DrainContext,
  ) {
    this.health = new GrpcHealth(context.signals.draining);
    if (transport.grpcClient) this.attach(transport.grpcClient);
    else this.attachOnListen();
  }

  setServing(serving: boolean): void {
    this.health.setServing(serving);
  }

  stopAccepting(): string | void {
    const server = this.transport.grpcClient;
    if (!server?.boundPorts) return;
    this.health.close();
    for (const port of [...server.boundPorts.keys()]) server.unbind(port);
    return `${this.name}: stopped accepting (GOAWAY sent)`;
  }

  async closeRemaining(): Promise<void> {
    // A health Watch stream ended at phase 5 writes its status on a later tick: let it reach the socket first.
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.transport.grpcClient?.forceShutdown();
  }

  /**
   * Calls become units from now on; those on connections already open were not seen to
   * begin, so each such connection is one until it closes (after phase 5's GOAWAY, once its
   * last call ended): a transport connected after bootstrap is drained by connection.
   */
  private attach(server: GrpcServerLike): void {
    if (!server.boundPorts)
      logger.warn(
        `${this.name}: this @grpc/grpc-js Server has no boundPorts: phase 5 cannot stop it accepting; it is only ` +
          `cancelled after the drain`,
      );
    trackGrpcSessions(server, this.context.work);
    if (!trackGrpcCalls(server, this.context.work)) {
      logger.warn(
        `${this.name}: this @grpc/grpc-js Server has no http2Servers: its calls are not tracked, only handlers ` +
          `behind GracefulInterceptor are waited for`,
      );
    }
    if (!this.health.install(server))
      logger.log('the app serves its own grpc.health.v1.Health: its statuses are left to it');
  }

  private attachOnListen(): void {
    const transport = this.transport;
    const listen = transport.listen.bind(transport);
    // On the instance, as Nest calls it: the grpc-js server exists once this calls back without error.
    transport.listen = (callback) =>
      listen((error, ...rest) => {
        if (!error && transport.grpcClient) this.attach(transport.grpcClient);
        callback(error, ...rest);
      });
  }
}

/** @internal */
export const grpcDrain = microserviceDrain<GrpcTransportLike>(
  'gRPC',
  TRANSPORT.GRPC,
  ['grpcClient', 'listen'],
  (grpc, context) => new GrpcParticipant(grpc, context),
);
