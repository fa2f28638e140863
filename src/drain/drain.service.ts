import { Injectable, Logger } from '@nestjs/common';
import type { Server } from 'node:http';
import { DrainLedger } from './drain-ledger.js';
import { HttpConnections } from './http-connections.js';
import type { HttpTracker } from './http-tracker.interface.js';
import { Http2Sessions, isHttp2Server } from './http2-sessions.js';
import {
  closeMicroserviceConnections,
  closeMicroserviceListeners,
  setMicroservicesServing,
  watchMicroserviceTransports,
} from './microservice-intake.js';
import { StopSignals } from './stop-signals.service.js';
import { gatewayServers } from './transports/gateway-servers.js';
import { closeSocketIoConnections } from './transports/socket-io.js';
import type { PendingUnit } from './work-unit.interface.js';

/** How often the drain logs what it still waits for. */
const PROGRESS_EVERY_MS = 1_000;

/**
 * @internal The drain of one app, as the stop sequence drives it: what it calls at phases 1,
 * 5, 6 and 7 and at the drain's end. Everything it waits for is in one {@link DrainLedger}.
 */
@Injectable()
export class DrainService {
  private readonly logger = new Logger('Graceful');
  /** Per server its connections, then (HTTP/2) its sessions: phase 5 closes the listener before the GOAWAYs. */
  private readonly servers: HttpTracker[] = [];

  constructor(
    private readonly ledger: DrainLedger,
    private readonly signals: StopSignals,
  ) {}

  /** Units open now: requests, connections that may bring one, WebSocket closes, handlers, jobs. */
  get inFlight(): number {
    return this.ledger.size;
  }

  /** Work units that finished after the listeners closed, not counting the aborted. */
  get drained(): number {
    return this.ledger.drained;
  }

  /** The work units cut at phase 7. */
  get aborted(): readonly PendingUnit[] {
    return this.ledger.aborted;
  }

  /** At bootstrap, before or after `listen()`: puts the server's connections and requests (HTTP/2 sessions and streams too) in the ledger. */
  trackHttpServer(server: Server): void {
    this.servers.push(new HttpConnections(server, this.ledger));
    if (isHttp2Server(server)) this.servers.push(new Http2Sessions(server, this.ledger));
  }

  /**
   * At start (again once attached; repeats do nothing): gRPC calls become units one by one, and gRPC servers get the
   * health service; the HTTP servers of gateways on their own port are tracked like the app's.
   */
  watchTransports(app: unknown): void {
    watchMicroserviceTransports(app);
    for (const found of gatewayServers(app)) {
      if (typeof found === 'string') this.logger.warn(found);
      else this.trackHttpServer(found);
    }
  }

  /** The app became ready: the gRPC health service says SERVING (phase 1 turns it to NOT_SERVING). */
  setServing(app: unknown): void {
    setMicroservicesServing(app, true);
  }

  /** Phase 1, synchronous: fires `draining`, app-wide and on every open unit that listens. */
  beginStop(reason: string): void {
    this.signals.fireDraining(reason);
    this.ledger.notify('draining', reason);
  }

  /**
   * Phase 5: stops accepting on the HTTP server, Socket.IO sessions and TCP microservice
   * listeners, and sends GOAWAY on every HTTP/2 session; from here on, units that end count
   * as drained.
   */
  async closeListeners(app: unknown): Promise<{ microserviceListeners: number; socketIoConnections: number }> {
    // The check phase, right after the poll phase accepted what the kernel queued: closing resets the queue.
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.ledger.countFromNow();
    // Before the listener: it sends a WebSocket its 1001 unless Socket.IO's engine closes it itself.
    const socketIoConnections = closeSocketIoConnections(app);
    for (const server of this.servers) server.closeListener();
    return { microserviceListeners: await closeMicroserviceListeners(app), socketIoConnections };
  }

  /** Phase 6: resolves when nothing is left, or when `signal` fires; never rejects. Logs progress every second. */
  async whenIdle(signal: AbortSignal): Promise<void> {
    this.logger.log(`draining ${this.describeOpen()}`);
    const progress = setInterval(() => this.logger.log(`still draining ${this.describeOpen()}`), PROGRESS_EVERY_MS);
    progress.unref();
    try {
      await this.ledger.whenIdle(signal);
    } finally {
      clearInterval(progress);
    }
  }

  /**
   * Phase 7: fires `abort`, waits up to `grace` ms for the units to end, then cuts what is
   * left (destroying the sockets of requests) and returns the work among it.
   */
  async abortRemaining(grace: number): Promise<PendingUnit[]> {
    const reason = 'stopTimeout passed';
    this.signals.fireAbort(reason);
    this.ledger.notify('abort', reason);
    const graceOver = new AbortController();
    const timer = setTimeout(() => graceOver.abort(), grace);
    await this.ledger.whenIdle(graceOver.signal);
    clearTimeout(timer);
    return [...this.ledger.cut()];
  }

  /** End of the drain: closes the connections left (none has a request) and TCP microservice connections. */
  async finish(app: unknown): Promise<void> {
    for (const server of this.servers) server.destroyAll();
    await closeMicroserviceConnections(app);
  }

  /** Removes the listeners put on the HTTP servers. */
  detach(): void {
    for (const server of this.servers) server.detach();
  }

  /** "3 unit(s) (http 2, background 1)". */
  private describeOpen(): string {
    const kinds = Object.entries(this.ledger.countByKind()).map(([kind, n]) => `${kind} ${n}`);
    return `${this.ledger.size} unit(s)${kinds.length > 0 ? ` (${kinds.join(', ')})` : ''}`;
  }
}
