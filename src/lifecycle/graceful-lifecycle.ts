import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type INestApplicationContext,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { HttpAdapterHost, NestApplicationContext } from '@nestjs/core';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import { APP_INFO } from '../app-info/app-info';
import { endpointFor, type MutableAppInfo } from '../app-info/build-app-info';
import { HttpConnections } from '../drain/http-connections';
import { closeMicroserviceConnections, closeMicroserviceListeners } from '../drain/microservice-intake';
import { WorkTracker } from '../drain/work-tracker';
import { GRACEFUL_OPTIONS } from '../graceful.constants';
import type { ResolvedGracefulOptions } from '../graceful-options';
import { Registration } from '../registry/registration';
import { stopBudget } from '../validate-options';
import { bounded, describeError, sleep } from './bounded';
import type { HookName } from './hooks';
import type { LifecycleState, RegistrationStatus } from './lifecycle-state';
import { processSignals, type SignalTarget } from './process-signals';
import { runHooks } from './run-hooks';
import { StopRecorder, type PhaseName, type StopReport } from './stop-report';
import { StopSignals } from './stop-signals';

/** Nest 12 runs `httpAdapter.beforeClose()` inside `close()` before any destroy hook; Nest 11 has no such seam. */
const NEST_HAS_CLOSE_SEAM =
  typeof (NestApplicationContext.prototype as unknown as { prepareClose?: unknown }).prepareClose === 'function';

/** `close()` takes the signal's name, which Nest passes to `onApplicationShutdown(signal)`. */
type Closable = { close(signal?: string): Promise<void> } & Partial<Pick<INestApplicationContext, 'get'>>;

/**
 * The lifecycle of one Nest app (kratos `App`): registers after the HTTP server listens,
 * and on stop runs the phases of LIFECYCLE.md in order, each bounded and logged, so that
 * Nest's teardown starts only once the in-flight work has drained.
 */
@Injectable()
export class GracefulLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Graceful');
  private stateValue: LifecycleState = 'starting';
  private reasonValue?: string;
  private readonly registration: Registration;
  private http?: HttpConnections;
  private app?: Closable;
  private signalTarget?: SignalTarget;
  private recorder?: StopRecorder;
  private drainPromise?: Promise<void>;
  private closing?: Promise<void>;
  private drainEndedAt = 0;
  private timers: NodeJS.Timeout[] = [];
  private reportValue?: StopReport;
  private readonly stopped: Promise<StopReport>;
  private resolveStopped!: (report: StopReport) => void;

  constructor(
    @Inject(GRACEFUL_OPTIONS) private readonly options: ResolvedGracefulOptions,
    @Inject(APP_INFO) private readonly info: MutableAppInfo,
    private readonly signals: StopSignals,
    private readonly work: WorkTracker,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {
    this.registration = new Registration(options.registrar, options, this.logger);
    this.stopped = new Promise((resolve) => (this.resolveStopped = resolve));
  }

  get state(): LifecycleState {
    return this.stateValue;
  }

  /** Why the app is not ready, or why the stop began. */
  get reason(): string | undefined {
    return this.reasonValue;
  }

  get registrationStatus(): RegistrationStatus {
    return this.registration.status;
  }

  get registrationError(): string | undefined {
    return this.registration.error;
  }

  /** The report of the last stop, once it is over. */
  get report(): StopReport | undefined {
    return this.reportValue;
  }

  /**
   * Lets the library close the app itself (signals, `shutdown()`), and on Nest 11 makes
   * `app.close()` drain before Nest's teardown. Called by {@link enableGracefulShutdown}.
   */
  attach(app: INestApplicationContext): void {
    if (this.app) return;
    const closable = app as unknown as Closable;
    this.app = closable;
    // The function itself, not through NestFactory's proxy, which would call our wrapper again.
    const close = (
      (Object.getOwnPropertyDescriptor(app, 'close')?.value ?? Object.getPrototypeOf(app).close) as Closable['close']
    ).bind(app);
    // On Nest 11 this is the only seam; on Nest 12 the drain already ran (it runs once).
    // defineProperty, because the proxy NestFactory returns ignores plain assignments.
    Object.defineProperty(app, 'close', {
      configurable: true,
      writable: true,
      // One close per stop: Nest 11 would run the whole teardown again for a second caller.
      value: (signal?: string) => (this.closing ??= this.drain(signal ?? 'app.close()').then(() => close(signal))),
    });
    if (this.options.signals.length > 0) {
      this.signalTarget = {
        name: this.info.name,
        signals: this.options.signals,
        exit: this.options.exit,
        forceExitOnSecondSignal: this.options.forceExitOnSecondSignal,
        signalRepeatWindow: this.options.signalRepeatWindow,
        stopOnSignal: (signal, receivedAt) => this.shutdown(signal, receivedAt).then((r) => r.exitCode),
      };
      processSignals.add(this.signalTarget);
    }
  }

  /** Runs the whole stop (drain, then Nest's teardown) and resolves with its report. */
  async shutdown(reason = 'shutdown()', requestedAt = performance.now()): Promise<StopReport> {
    if (!this.app) {
      throw new Error(
        'nestjs-graceful: shutdown() needs the app: call enableGracefulShutdown(app) in main.ts after NestFactory.create().',
      );
    }
    void this.drain(reason, requestedAt);
    if (this.stateValue !== 'stopped') await this.app.close(reason);
    return this.stopped;
  }

  async onApplicationBootstrap(): Promise<void> {
    const adapter = this.adapterHost?.httpAdapter;
    const server = adapter?.getHttpServer() as Server | undefined;
    if (!this.app && !(NEST_HAS_CLOSE_SEAM && server)) {
      throw new Error(
        'nestjs-graceful: without enableGracefulShutdown(app) Nest would tear the app down before the drain ' +
          (server ? '(this Nest version runs onModuleDestroy at once in close())' : '(this app has no HTTP adapter)') +
          '. Add `enableGracefulShutdown(app)` right after NestFactory.create() in main.ts (in tests: after createNestApplication()).',
      );
    }
    if (!NEST_HAS_CLOSE_SEAM && (this.app as { shutdownCleanupRef?: unknown } | undefined)?.shutdownCleanupRef) {
      throw new Error(
        'nestjs-graceful: on Nest 11, the handler app.enableShutdownHooks() installs runs onModuleDestroy before the drain. ' +
          'Remove app.enableShutdownHooks(): enableGracefulShutdown(app) already handles the stop signals.',
      );
    }
    if (!adapter || !server) return this.start(undefined);
    this.http = new HttpConnections(server);
    // Nest 12: close() awaits beforeClose() before any destroy hook; the drain runs there.
    const beforeClose = adapter.beforeClose?.bind(adapter);
    adapter.beforeClose = async () => {
      await this.drain('app.close()');
      await beforeClose?.();
    };
    if (server.listening) return this.start(server);
    server.once('listening', () => void this.start(server));
  }

  /** Phase 8 ends here: our module is global, so its shutdown hook runs after the app's. */
  async onApplicationShutdown(): Promise<void> {
    if (!this.recorder) {
      // Closed before any stop began (e.g. a failed bootstrap): only release what we hold.
      await this.release();
      return;
    }
    const recorder = this.recorder;
    recorder.record('teardown', Math.round(performance.now() - this.drainEndedAt));
    await this.phaseHooks(recorder, 'afterStop');
    await this.release();
    this.setState('stopped');
    const report = recorder.report();
    this.reportValue = report;
    for (const timer of this.timers) clearTimeout(timer);
    const log = `stop report ${JSON.stringify(report)}`;
    if (report.exitCode === 0) this.logger.log(log);
    else this.logger.error(log);
    this.resolveStopped(report);
  }

  /** Phases 1–7: from the readiness flip to the end of the drain. Runs once. */
  drain(reason: string, requestedAt = performance.now()): Promise<void> {
    return (this.drainPromise ??= this.runDrain(reason, requestedAt));
  }

  private async runDrain(reason: string, requestedAt: number): Promise<void> {
    const recorder = this.beginStop(reason, requestedAt);
    const completedBefore = this.completedUnits();
    await this.phaseHooks(recorder, 'beforeStop');
    await this.phase(recorder, 'deregister', this.options.registrarTimeout, (signal) =>
      this.registration.deregister(this.info, signal),
    );
    await this.phase(recorder, 'delay', undefined, () => this.delay());
    await this.phase(recorder, 'close', undefined, () => this.closeListeners());
    const drained = await this.phase(recorder, 'drain', this.options.stopTimeout, (signal) => this.whenIdle(signal));
    if (!drained) await this.phase(recorder, 'abort', undefined, () => this.abortRemaining(recorder));
    recorder.drained = this.completedUnits() - completedBefore - recorder.aborted.length;
    this.http?.destroyAll();
    if (this.app) await closeMicroserviceConnections(this.app);
    this.setState('stopping');
    this.drainEndedAt = performance.now();
    this.arm(this.options.teardownTimeout, `teardown did not finish within ${this.options.teardownTimeout} ms (teardownTimeout)`);
  }

  private completedUnits(): number {
    return (this.http?.completed ?? 0) + this.work.completed;
  }

  /** Phase 1, synchronous so that readiness is down in the same tick as the signal. */
  private beginStop(reason: string, requestedAt: number): StopRecorder {
    this.reasonValue = reason;
    this.setState('draining');
    const flipMs = performance.now() - requestedAt;
    this.signals.fireDraining(reason);
    const recorder = (this.recorder = new StopRecorder(this.info.name, reason));
    recorder.record('unready', Math.round(flipMs));
    const budget = stopBudget(this.options);
    this.logger.log(
      `stop (${reason}): readiness down ${flipMs.toFixed(3)} ms after it was asked for; the stop may take up to ${budget} ms`,
    );
    if (budget > this.options.gracePeriod) {
      this.logger.warn(
        `the stop's bounds add up to ${budget} ms, more than gracePeriod (${this.options.gracePeriod} ms): the orchestrator may kill the process first. Lower the bounds or raise its grace period.`,
      );
    }
    this.arm(budget + 1_000, `hard deadline (${budget + 1_000} ms) passed`);
    return recorder;
  }

  private async delay(): Promise<void> {
    if (this.options.shutdownDelay === 0) return;
    this.logger.log(`serving ${this.options.shutdownDelay} ms more (shutdownDelay) while balancers notice`);
    await sleep(this.options.shutdownDelay);
  }

  /** Phase 5: no new connection, HTTP or microservice; those open finish what they started. */
  private async closeListeners(): Promise<void> {
    const [, microservices] = await Promise.all([this.http?.closeListener(), this.app ? closeMicroserviceListeners(this.app) : 0]);
    if (microservices > 0) this.logger.log(`stopped accepting on ${microservices} microservice listener(s)`);
  }

  private inFlight(): number {
    return (this.http?.inFlight ?? 0) + this.work.size;
  }

  private async allIdle(): Promise<void> {
    await Promise.all([this.http?.whenIdle(), this.work.whenIdle()]);
  }

  private async whenIdle(signal: AbortSignal): Promise<void> {
    this.logger.log(`draining ${this.inFlight()} unit(s) of work (stopTimeout ${this.options.stopTimeout} ms)`);
    const progress = setInterval(() => this.logger.log(`still draining: ${this.inFlight()} unit(s) in flight`), 1_000);
    progress.unref();
    // The drain's bound aborts the signal while allIdle() stays pending.
    signal.addEventListener('abort', () => clearInterval(progress), { once: true });
    try {
      await this.allIdle();
    } finally {
      clearInterval(progress);
    }
  }

  private async abortRemaining(recorder: StopRecorder): Promise<void> {
    this.signals.fireAbort('stopTimeout passed');
    await Promise.race([sleep(this.options.abortGrace), this.allIdle()]);
    recorder.aborted = [...(this.http?.pending() ?? []), ...this.work.pending()];
    for (const unit of recorder.aborted) {
      this.logger.error(`aborted ${unit.kind} ${unit.name} after ${unit.ageMs} ms`);
    }
    this.http?.destroyPending();
    if (recorder.aborted.length > 0) throw new Error(`${recorder.aborted.length} unit(s) aborted`);
  }

  /** Runs one bounded phase, logs it with its duration; returns whether it succeeded. */
  private async phase(
    recorder: StopRecorder,
    name: PhaseName,
    bound: number | undefined,
    work: (signal: AbortSignal) => unknown,
  ): Promise<boolean> {
    const result = await bounded(bound ?? 2_147_483_647, work);
    if (result.ok) {
      this.logger.log(`${name} done in ${result.ms} ms`);
      recorder.record(name, result.ms);
      return true;
    }
    const error = result.timedOut ? `timed out after ${bound} ms` : describeError(result.error);
    this.logger.error(`${name} failed after ${result.ms} ms: ${error}`);
    recorder.record(name, result.ms, error);
    return false;
  }

  private async phaseHooks(recorder: StopRecorder, name: HookName): Promise<void> {
    const hooks = this.options[name];
    if (hooks.length === 0) return;
    await this.phase(recorder, name as PhaseName, undefined, async () => {
      const failure = await runHooks(name, hooks, { app: this.info, reason: this.reasonValue }, this.options.hookTimeout, this.logger);
      if (failure) throw new Error(failure);
    });
  }

  private async start(server: Server | undefined): Promise<void> {
    if (this.stateValue !== 'starting') return;
    this.fillEndpoints(server);
    const context = { app: this.info };
    await runHooks('beforeStart', this.options.beforeStart, context, this.options.hookTimeout, this.logger);
    const afterRegistration = () => {
      if (this.stateValue !== 'starting') return;
      this.setState('ready');
      void runHooks('afterStart', this.options.afterStart, context, this.options.hookTimeout, this.logger);
    };
    if (this.registration.enabled && this.options.requireRegistration) {
      this.reasonValue = 'registering';
      this.registration.start(this.info, afterRegistration);
    } else {
      this.registration.start(this.info, () => undefined);
      afterRegistration();
    }
  }

  private fillEndpoints(server: Server | undefined): void {
    const address = server?.address();
    if (this.options.endpoints || !address || typeof address === 'string') return;
    const scheme = server instanceof TlsServer ? 'https' : 'http';
    const { url, warning } = endpointFor(scheme, address as AddressInfo, this.options.advertiseHost);
    if (warning) this.logger.warn(warning);
    this.info.endpoints.push(url);
  }

  private setState(state: LifecycleState): void {
    this.stateValue = state;
    if (state === 'ready') this.reasonValue = undefined;
  }

  /** A watchdog for the stop: when it fires the stop is stuck; exit if allowed. */
  private arm(ms: number, what: string): void {
    const timer = setTimeout(() => {
      this.logger.error(`${what} in state ${this.stateValue}${this.options.exit ? ': exiting with code 1' : ''}`);
      if (this.options.exit) process.exit(1);
    }, ms);
    // With `exit` on it also keeps the process alive: a teardown stuck on a promise with no
    // I/O behind it would otherwise let Node end with code 0 halfway through.
    if (!this.options.exit) timer.unref();
    this.timers.push(timer);
  }

  private async release(): Promise<void> {
    this.http?.detach();
    if (this.signalTarget) processSignals.remove(this.signalTarget);
    const closed = await bounded(this.options.registrarTimeout, () => this.registration.close());
    if (!closed.ok) this.logger.warn(`closing the registrar failed: ${describeError(closed.error)}`);
  }
}
