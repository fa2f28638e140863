import { Injectable, Logger } from '@nestjs/common';
import type { Server } from 'node:http';
import { StopSignals } from '../lifecycle/stop-signals.js';
import { sleep } from '../common/bounded.js';
import { HttpConnections } from './http-connections.js';
import { closeMicroserviceConnections, closeMicroserviceListeners } from './microservice-intake.js';
import { WorkTracker } from './work-tracker.js';
import type { PendingUnit } from './work-unit.js';

/** Everything the lifecycle asks of the drain, one per app. */
@Injectable()
export class DrainService {
  private readonly logger = new Logger('Graceful');
  private http?: HttpConnections;
  private completedBefore = 0;
  private cut: PendingUnit[] = [];

  constructor(
    private readonly signals: StopSignals,
    private readonly work: WorkTracker,
  ) {}

  beginStop(reason: string): void {
    this.signals.fireDraining(reason);
  }

  trackHttpServer(server: Server): void {
    this.http = new HttpConnections(server);
  }

  async closeListeners(app: unknown): Promise<{ microserviceListeners: number }> {
    this.completedBefore = this.completed();
    const [, microserviceListeners] = await Promise.all([this.http?.closeListener(), closeMicroserviceListeners(app)]);
    return { microserviceListeners };
  }

  get inFlight(): number {
    return (this.http?.inFlight ?? 0) + this.work.size;
  }

  async whenIdle(signal: AbortSignal): Promise<void> {
    this.logger.log(`draining ${this.inFlight} unit(s) of work`);
    const progress = setInterval(() => this.logger.log(`still draining: ${this.inFlight} unit(s) in flight`), 1_000);
    progress.unref();
    try {
      await Promise.race([Promise.all([this.http?.whenIdle(), this.work.whenIdle()]), new Promise((r) => signal.addEventListener('abort', r, { once: true }))]);
    } finally {
      clearInterval(progress);
    }
  }

  async abortRemaining(grace: number): Promise<PendingUnit[]> {
    this.signals.fireAbort('stopTimeout passed');
    await Promise.race([sleep(grace), Promise.all([this.http?.whenIdle(), this.work.whenIdle()])]);
    this.cut = [...(this.http?.pending() ?? []), ...this.work.pending()];
    this.http?.destroyPending();
    return this.cut;
  }

  async finish(app: unknown): Promise<void> {
    this.http?.destroyAll();
    await closeMicroserviceConnections(app);
  }

  get drained(): number {
    return this.completed() - this.completedBefore - this.cut.length;
  }

  get aborted(): readonly PendingUnit[] {
    return this.cut;
  }

  detach(): void {
    this.http?.detach();
  }

  private completed(): number {
    return (this.http?.completed ?? 0) + this.work.completed;
  }
}
