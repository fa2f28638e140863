import { Injectable, Logger } from '@nestjs/common';
import type { Server } from 'node:http';
import { DrainLedger } from './drain-ledger.js';
import { StopSignals } from './stop-signals.service.js';
import type { DrainContext, DrainParticipant } from './transports/drain-participant.interface.js';
import { transportServers, type TransportServerLike } from './transports/nest-transports.js';
import { detectTransports, TRANSPORT_DRAINS } from './transports/transport-drains.js';
import type { PendingUnit } from './work-unit.interface.js';
import { WorkTracker } from './work-tracker.service.js';

/** How often the drain logs what it still waits for. */
const PROGRESS_EVERY_MS = 1_000;

/**
 * @internal The drain of one app, as the stop sequence drives it: a loop over one participant
 * per transport (src/drain/transports/) at phases 1, 5, the disconnect and release.
 * Everything it waits for is in one {@link DrainLedger}.
 */
@Injectable()
export class DrainService {
  private readonly logger = new Logger('Graceful');
  private participants: DrainParticipant[] = [];
  private context?: DrainContext;

  constructor(
    private readonly ledger: DrainLedger,
    private readonly signals: StopSignals,
    private readonly work: WorkTracker,
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

  /**
   * At bootstrap, once: finds the app's transports and clients and makes their participants
   * (HTTP connections and gRPC calls are units from now on). Returns, one sentence each, what
   * cannot be drained: a transport with no participant, or one an upgrade changed under it,
   * or a setting that makes the drain fail. Calling it again does nothing.
   */
  attach(
    app: unknown,
    httpServer: Server | undefined,
    found: Pick<DrainContext, 'instances' | 'stopTimeout' | 'teardownTimeout'>,
  ): string[] {
    if (this.context) return [];
    const { ledger, work, signals } = this;
    const microservices = transportServers(app);
    const { instances, stopTimeout, teardownTimeout } = found;
    this.context = { app, httpServer, microservices, instances, stopTimeout, teardownTimeout, ledger, work, signals };
    const { participants, problems } = detectTransports(this.context);
    this.participants = participants;
    return problems;
  }

  /** The app became ready: the gRPC health service says SERVING (phase 1 turns it to NOT_SERVING). */
  setServing(serving: boolean): void {
    for (const participant of this.participants) participant.setServing?.(serving);
  }

  /** Phase 1, synchronous: fires `draining`, app-wide and on every open unit that listens. */
  beginStop(reason: string): void {
    this.signals.fireDraining(reason);
    this.ledger.notify('draining', reason);
    this.setServing(false);
  }

  /**
   * Phase 5: every participant stops accepting, each begun in list order in a check phase (a
   * listener closes once a poll phase accepted nothing more: closing it resets the kernel's
   * queue, see listener-close.ts); resolves once all have. From here on, units that end count
   * as drained. Returns their log lines.
   */
  async stopAccepting(signal: AbortSignal): Promise<string[]> {
    // closeWhenQuiet (HTTP, TCP) must watch a whole poll phase of its own: begun in a poll phase (the signal's), its
    // first check came before any poll saw the queued connects. Without this wait, 32 of 32 queued were reset.
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.ledger.countFromNow();
    this.adoptLate();
    const results = await Promise.allSettled(
      this.participants.map(async (participant) => participant.stopAccepting(signal)),
    );
    return results.flatMap((result, i) => {
      if (result.status === 'fulfilled') return result.value ? [result.value] : [];
      this.logger.warn(`${this.participants[i]!.name}: could not stop accepting: ${String(result.reason)}`);
      return [];
    });
  }

  /** Phase 6: resolves when nothing is left, or when `signal` fires; never rejects. Logs progress every second. */
  async whenIdle(signal: AbortSignal): Promise<void> {
    this.logger.log(`draining ${this.describeOpen()}`);
    // Not once the last unit ended: the drain then ends after one more poll phase, which a tick may precede.
    const progress = setInterval(() => {
      if (this.ledger.size > 0) this.logger.log(`still draining ${this.describeOpen()}`);
    }, PROGRESS_EVERY_MS);
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

  /**
   * The disconnect, right after the drain: every participant closes what is left. All begin
   * in this event-loop turn, the drain's last, so none lets in work after the drain ended.
   */
  async closeRemaining(signal: AbortSignal): Promise<void> {
    const results = await Promise.allSettled(
      this.participants.map(async (participant) => participant.closeRemaining?.(signal)),
    );
    results.forEach((result, i) => {
      if (result.status === 'rejected')
        this.logger.warn(`${this.participants[i]!.name}: closing failed: ${String(result.reason)}`);
    });
  }

  /** Release: every participant removes what it put on the app's objects. */
  detach(): void {
    for (const participant of this.participants) participant.detach?.();
  }

  /**
   * A microservice connected after bootstrap (`connectMicroservice()` after `listen()`) gets
   * its participant now, at phase 5; the calls it took before are counted by connection.
   */
  private adoptLate(): void {
    if (!this.context) return;
    const known = new Set<TransportServerLike>(this.context.microservices);
    const late = transportServers(this.context.app).filter((server) => !known.has(server));
    if (late.length === 0) return;
    this.context = { ...this.context, microservices: [...this.context.microservices, ...late] };
    const microserviceDrains = TRANSPORT_DRAINS.filter((drain) => drain.transportId !== undefined);
    const { participants, problems } = detectTransports(
      { ...this.context, httpServer: undefined, microservices: late },
      microserviceDrains,
    );
    this.participants.push(...participants);
    for (const problem of problems) this.logger.warn(problem);
  }

  /** "3 unit(s) (http 2, background 1)". */
  private describeOpen(): string {
    const kinds = Object.entries(this.ledger.countByKind()).map(([kind, n]) => `${kind} ${n}`);
    return `${this.ledger.size} unit(s)${kinds.length > 0 ? ` (${kinds.join(', ')})` : ''}`;
  }
}
