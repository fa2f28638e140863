import { asTransportUnit } from '../handler-call.js';
import type { WorkTracker } from '../work-tracker.service.js';
import { HEALTH_CHECK_PATH } from './grpc-health-codec.js';
import type { GrpcServerLike } from './grpc-server-like.js';

/**
 * One unit of work per gRPC call, from the moment its HTTP/2 stream opens to its close,
 * which comes after the status and trailers were sent: unary, server-, client- and
 * bidi-streaming alike, and calls refused by a guard or unknown to the server too.
 * Health checks are not work; a health Watch stream is, from when phase 5 ends it until
 * its status is out. Returns false where grpc-js hides its HTTP/2 servers.
 */
export function trackGrpcCalls(server: GrpcServerLike, work: WorkTracker): boolean {
  if (!server.http2Servers) return false;
  for (const http2 of server.http2Servers.keys()) {
    http2.on('stream', (stream, headers) => {
      const path = String(headers[':path'] ?? '');
      if (path === HEALTH_CHECK_PATH) return;
      const handle = work.begin(`gRPC ${path}`, 'rpc');
      stream.once('close', handle.done);
    });
  }
  markHandlers(server);
  return true;
}

/**
 * Each handler grpc-js calls (with Nest's interceptors behind it) runs as part of its call's
 * unit, so GracefulInterceptor on a gRPC controller does not count the call a second time.
 */
function markHandlers(server: GrpcServerLike): void {
  for (const handler of server.handlers?.values() ?? []) {
    const func = handler.func;
    if (typeof func === 'function') handler.func = (...args) => asTransportUnit(() => func(...args));
  }
}

/**
 * For a server whose calls were not tracked from the start: one unit per open HTTP/2
 * session, until it closes. After phase 5's GOAWAY a session closes once its last call
 * ended, so the drain still waits for every call in flight, counted by connection.
 */
export function trackGrpcSessions(server: GrpcServerLike, work: WorkTracker): void {
  for (const { sessions } of server.http2Servers?.values() ?? []) {
    for (const session of sessions) {
      if (session.closed || session.destroyed) continue;
      const handle = work.begin(
        `gRPC connection ${session.socket?.remoteAddress}:${session.socket?.remotePort}`,
        'rpc',
      );
      session.once('close', handle.done);
    }
  }
}
