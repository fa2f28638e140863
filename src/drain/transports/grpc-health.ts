import {
  HEALTH_SERVICE_DEFINITION,
  ServingStatus,
  type HealthCheckRequest,
  type HealthCheckResponse,
} from './grpc-health-codec.js';
import type { GrpcCallLike, GrpcServerLike } from './grpc-server-like.js';

/** gRPC's NOT_FOUND status code, which the health protocol answers for an unknown service. */
const STATUS_NOT_FOUND = 5;

type CheckCallback = (error: { code: number; details: string } | null, response?: HealthCheckResponse) => void;

interface Watcher {
  readonly service: string;
  last?: ServingStatus;
}

/**
 * The standard `grpc.health.v1.Health` service of one gRPC server. The whole server
 * (service "") and each service it serves are SERVING while the app is ready and
 * NOT_SERVING from the moment the stop begins (phase 1), so a balancer, Consul's gRPC
 * check or a Kubernetes gRPC probe stops sending before the listener closes. `Watch`
 * streams get each change as it happens and are ended when the listener closes.
 */
export class GrpcHealth {
  private serving = false;
  private server?: GrpcServerLike;
  private readonly watchers = new Map<GrpcCallLike, Watcher>();

  constructor(private readonly draining: AbortSignal) {
    draining.addEventListener('abort', () => this.broadcast(), { once: true });
  }

  /** Adds the service to `server`; false if the app already serves its own health service. */
  install(server: GrpcServerLike): boolean {
    this.server = server;
    if (server.handlers?.has(HEALTH_SERVICE_DEFINITION.Check.path)) return false;
    server.addService(HEALTH_SERVICE_DEFINITION, {
      Check: (call: GrpcCallLike, callback: CheckCallback) => this.check(call, callback),
      Watch: (call: GrpcCallLike) => this.watch(call),
    });
    return true;
  }

  setServing(serving: boolean): void {
    this.serving = serving;
    this.broadcast();
  }

  /** Ends every Watch stream (status OK, after the NOT_SERVING it already got). */
  close(): void {
    for (const call of this.watchers.keys()) call.end();
    this.watchers.clear();
  }

  private status(service: string): ServingStatus | undefined {
    if (service !== '' && !this.serves(service)) return undefined;
    return this.serving && !this.draining.aborted ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
  }

  /** Whether a method of `service` is registered (every service counts where grpc-js hides its handlers). */
  private serves(service: string): boolean {
    const handlers = this.server?.handlers;
    if (!handlers) return true;
    for (const path of handlers.keys()) if (path.startsWith(`/${service}/`)) return true;
    return false;
  }

  private check(call: GrpcCallLike, callback: CheckCallback): void {
    const { service } = call.request as HealthCheckRequest;
    const status = this.status(service);
    if (status === undefined) callback({ code: STATUS_NOT_FOUND, details: `unknown service "${service}"` });
    else callback(null, { status });
  }

  private watch(call: GrpcCallLike): void {
    this.watchers.set(call, { service: (call.request as HealthCheckRequest).service });
    call.on('cancelled', () => this.watchers.delete(call));
    this.send(call);
  }

  private broadcast(): void {
    for (const call of this.watchers.keys()) this.send(call);
  }

  /** Writes the current status if it changed since the last one this watcher got. */
  private send(call: GrpcCallLike): void {
    const watcher = this.watchers.get(call)!;
    const status = this.status(watcher.service) ?? ServingStatus.SERVICE_UNKNOWN;
    if (watcher.last === status) return;
    watcher.last = status;
    call.write({ status });
  }
}
