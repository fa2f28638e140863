import { Logger } from '@nestjs/common';
import type { WorkTracker } from '../work-tracker.service.js';
import { trackGrpcCalls, trackGrpcSessions } from './grpc-calls.js';
import { GrpcHealth } from './grpc-health.js';
import type { GrpcServerLike, GrpcTransportLike } from './grpc-server-like.js';
import { TRANSPORT, transportsOf } from './nest-transports.js';

const logger = new Logger('Graceful');

/** What the library added to one gRPC transport of an app. */
interface Watched {
  readonly health: GrpcHealth;
  /** Whether each call is a unit of its own (else phase 5 counts them by connection). */
  callsTracked: boolean;
}

const watched = new WeakMap<GrpcTransportLike, Watched>();

function grpcTransports(app: unknown): GrpcTransportLike[] {
  return transportsOf<GrpcTransportLike>(app, TRANSPORT.GRPC).filter((transport) => typeof transport.listen === 'function');
}

/**
 * At start: on every gRPC transport of the app, one unit of work per call and the
 * standard health service (NOT_SERVING until {@link setGrpcServing}). A transport not
 * listening yet (a microservice-only app before `listen()`) gets them once it listens.
 * Calling it again does nothing.
 */
export function watchGrpcTransports(app: unknown, work: WorkTracker, draining: AbortSignal): void {
  for (const transport of grpcTransports(app)) {
    if (watched.has(transport)) continue;
    const state: Watched = { health: new GrpcHealth(draining), callsTracked: false };
    watched.set(transport, state);
    const attach = (server: GrpcServerLike) => {
      state.callsTracked = trackGrpcCalls(server, work);
      if (!state.callsTracked) logger.warn('this @grpc/grpc-js version hides its HTTP/2 servers: gRPC calls are drained by connection, not one by one');
      if (!state.health.install(server)) logger.log('the app serves its own grpc.health.v1.Health: its statuses are left to it');
    };
    if (transport.grpcClient) {
      attach(transport.grpcClient);
      continue;
    }
    const listen = transport.listen.bind(transport);
    // On the instance, as Nest calls it: the grpc-js server exists once this calls back without error.
    transport.listen = (callback) =>
      listen((error, ...rest) => {
        if (!error && transport.grpcClient) attach(transport.grpcClient);
        callback(error, ...rest);
      });
  }
}

/** The app's readiness, for the health service: SERVING while true and the stop has not begun. */
export function setGrpcServing(app: unknown, serving: boolean): void {
  for (const transport of grpcTransports(app)) watched.get(transport)?.health.setServing(serving);
}

/**
 * Phase 5: each gRPC server stops listening and sends GOAWAY on every connection. Calls
 * in flight go on; a call a client starts after that is refused before any handler
 * runs (grpc-js clients retry it transparently elsewhere). Health Watch streams end, so
 * they do not hold their connection open. Returns how many servers closed.
 */
export function closeGrpcListeners(app: unknown, work: WorkTracker | undefined): number {
  let closed = 0;
  for (const transport of grpcTransports(app)) {
    const server = transport.grpcClient;
    if (!server?.boundPorts) continue;
    const state = watched.get(transport);
    state?.health.close();
    if (work && !state?.callsTracked) trackGrpcSessions(server, work);
    // unbind() closes the port's listener and closes its sessions gracefully (GOAWAY).
    for (const port of [...server.boundPorts.keys()]) server.unbind(port);
    closed++;
  }
  return closed;
}

/**
 * End of the drain: the calls still open (those the drain gave up on) are cancelled,
 * before `onModuleDestroy` closes what their handlers use.
 */
export function closeGrpcConnections(app: unknown): void {
  for (const transport of grpcTransports(app)) transport.grpcClient?.forceShutdown();
}
