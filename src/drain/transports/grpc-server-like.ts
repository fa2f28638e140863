import type { Http2Server, Http2Session } from 'node:http2';

/**
 * What is used here of a `@grpc/grpc-js` Server (not a dependency of the library, so
 * typed by shape). `http2Servers`, `boundPorts` and `handlers` are private fields of
 * grpc-js 1.10 and later; where they are missing, calls are not tracked one by one.
 */
export interface GrpcServerLike {
  addService(service: object, implementation: object): void;
  unbind(port: string): void;
  forceShutdown(): void;
  readonly http2Servers?: Map<Http2Server, { readonly sessions: Set<Http2Session> }>;
  readonly boundPorts?: Map<string, unknown>;
  readonly handlers?: Map<string, { func?: (...args: unknown[]) => unknown }>;
}

/** Nest's ServerGrpc, as read here: the grpc-js server exists once `listen()` bound it. */
export interface GrpcTransportLike {
  transportId?: unknown;
  grpcClient?: GrpcServerLike | null;
  listen(callback: (error?: unknown, ...rest: unknown[]) => void): unknown;
  close(): unknown;
}

/** A call as grpc-js hands it to a handler (unary and server-streaming). */
export interface GrpcCallLike {
  readonly request: unknown;
  readonly cancelled?: boolean;
  write(message: unknown): boolean;
  end(): void;
  on(event: 'cancelled', listener: () => void): unknown;
}
