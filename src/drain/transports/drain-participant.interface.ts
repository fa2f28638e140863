import type { Server } from 'node:http';
import type { DrainLedger } from '../drain-ledger.js';
import type { StopSignals } from '../stop-signals.service.js';
import type { WorkTracker } from '../work-tracker.service.js';

/** @internal What a participant gets at bootstrap to find its transport and feed the ledger. */
export interface DrainContext {
  /** The Nest app (INestApplication or INestMicroservice); undefined when it was never attached. */
  readonly app: unknown;
  readonly httpServer?: Server;
  readonly ledger?: DrainLedger;
  readonly work?: WorkTracker;
  readonly signals?: StopSignals;
}

/** @internal One transport's part in the drain (kratos' `transport.Server`). */
export interface DrainParticipant {
  /** For logs, e.g. 'MQTT microservice'. */
  readonly name: string;
  /** The app became ready (true), or phase 1 began (false). */
  setServing?(serving: boolean): void;
  /** Phase 5 ('close'): stop taking new work; what was taken goes on. Returns a log line, or nothing. */
  stopAccepting(signal: AbortSignal): Promise<string | void> | string | void;
  /** Phase 'disconnect', before Nest's onModuleDestroy: close what is left, flushing replies and acks first. */
  closeRemaining(signal: AbortSignal): Promise<void> | void;
  /** Phase 'release': removes the listeners and patches it put on the app's objects. */
  detach?(): void;
}

/** @internal Finds one transport in an app: a participant per instance found, or a sentence saying why it cannot be drained. */
export interface TransportDrain {
  readonly transport: string;
  detect(context: DrainContext): Array<DrainParticipant | string>;
}
