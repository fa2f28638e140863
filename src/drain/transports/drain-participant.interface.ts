import type { Server } from 'node:http';
import type { DrainLedger } from '../drain-ledger.js';
import type { StopSignals } from '../stop-signals.service.js';
import type { WorkTracker } from '../work-tracker.service.js';
import type { TransportServerLike } from './nest-transports.js';

/** @internal What a participant gets at bootstrap to find its transport and feed the ledger. */
export interface DrainContext {
  /** The Nest app (INestApplication or INestMicroservice); undefined when it was never attached. */
  readonly app: unknown;
  readonly httpServer?: Server;
  /** The app's microservice transport servers (found once, see nest-transports.ts). */
  readonly microservices: readonly TransportServerLike[];
  /** What the app's modules hold at bootstrap (providers, controllers, ...): where its clients are found. */
  readonly instances: readonly unknown[];
  /** The app's `stopTimeout`, in ms: what a participant warns about when its own waits may outlast it. */
  readonly stopTimeout: number;
  /** The app's `teardownTimeout`, in ms: the bound of Nest's teardown, where the app's clients are closed. */
  readonly teardownTimeout: number;
  readonly ledger: DrainLedger;
  readonly work: WorkTracker;
  readonly signals: StopSignals;
}

/** @internal One transport's part in the drain (kratos' `transport.Server`). */
export interface DrainParticipant {
  /** For logs, e.g. 'TCP microservice'. */
  readonly name: string;
  /** The app became ready (true), or phase 1 began (false): e.g. the gRPC health status. */
  setServing?(serving: boolean): void;
  /**
   * Phase 5 ('close'): stop taking new work; what was taken goes on (replies and acks still go
   * out). Its synchronous part runs in the check phase, in list order. Returns a log line, or nothing.
   */
  stopAccepting(signal: AbortSignal): Promise<string | void> | string | void;
  /**
   * Phase 'disconnect', right after the drain ended and before Nest's onModuleDestroy: close
   * what is left, flushing the replies and acks of finished work first. Its synchronous part
   * runs in the same event-loop turn as the drain's last check, so nothing taken after it
   * reaches a handler. Absent when Nest's teardown closes everything left.
   */
  closeRemaining?(signal: AbortSignal): Promise<void> | void;
  /** Phase 'release': removes the listeners and patches it put on the app's objects. */
  detach?(): void;
}

/**
 * @internal Finds one transport in an app. Each entry of the result is a participant, or a
 * sentence naming the transport and what is missing to drain it (logged as a warning at start-up).
 */
export interface TransportDrain {
  /** 'gRPC'. */
  readonly transport: string;
  /** The Nest `Transport` id it drains, for a microservice transport: others are reported as undrained. */
  readonly transportId?: number;
  detect(context: DrainContext): Array<DrainParticipant | string>;
}
