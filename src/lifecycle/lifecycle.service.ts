import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type INestApplicationContext,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { HttpAdapterHost, ModulesContainer } from '@nestjs/core';
import type { Server } from 'node:http';
import { APP_INFO } from '../app-info/app-info.js';
import type { MutableAppInfo } from '../app-info/build-app-info.js';
import { sleep } from '../common/bounded.js';
import { appInstances } from '../common/nest-instances.js';
import { DrainLedger } from '../drain/drain-ledger.js';
import { DrainService } from '../drain/drain.service.js';
import { Registration } from '../registry/registration.js';
import type { RegistrationStatus } from '../registry/registration-status.interface.js';
import { GracefulLifecycle } from './graceful-lifecycle.js';
import type { HookName } from './hooks.interface.js';
import { GRACEFUL_OPTIONS } from './lifecycle.constants.js';
import type { LifecycleOptions } from './lifecycle-options.interface.js';
import type { LifecycleState } from './lifecycle-state.interface.js';
import { closeSeamProblem, drainBeforeClose, replaceClose, type NestClose } from './nest-close-seam.js';
import { processSignals, type SignalTarget } from './process-signals.js';
import { runHooks } from './run-hooks.js';
import { overGracePeriod, stopBounds, WATCHDOG_SLACK_MS } from './stop-budget.js';
import type { StopReport } from './stop-report.js';
import { StartSequence } from './start-sequence.js';
import { StopSequence, type StopSteps } from './stop-sequence.js';
import { TeardownHooks } from './teardown-hooks.js';
import { Watchdog } from './watchdog.js';

/**
 * @internal The lifecycle of one Nest app: its state, the {@link StartSequence} once the server listens,
 * and the steps of the {@link StopSequence}. Public code sees {@link GracefulLifecycle}.
 */
@Injectable()
export class LifecycleService extends GracefulLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Graceful');
  private stateValue: LifecycleState = 'starting';
  private stopReason?: string;
  private readonly registration: Registration;
  private readonly startSequence: StartSequence;
  private readonly sequence: StopSequence;
  private readonly watchdog = new Watchdog();
  private readonly teardownHooks = new TeardownHooks(this.logger);
  private app?: INestApplicationContext;
  private nestClose?: NestClose;
  private signalTarget?: SignalTarget;
  private startedBySignal = false;
  private running?: Promise<StopReport>;
  private reportValue?: StopReport;

  constructor(
    @Inject(GRACEFUL_OPTIONS) private readonly options: LifecycleOptions,
    @Inject(APP_INFO) private readonly info: MutableAppInfo,
    private readonly drain: DrainService,
    private readonly ledger: DrainLedger,
    private readonly modules: ModulesContainer,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {
    super();
    this.registration = new Registration(options.registrar, options, this.logger);
    this.startSequence = new StartSequence(options, info, this.registration, this.logger, {
      stopBegun: () => this.sequence.begun,
      becomeReady: () => {
        if (this.stateValue !== 'starting') return false;
        this.stateValue = 'ready';
        this.drain.setServing(true);
        return true;
      },
    });
    this.sequence = new StopSequence(this.steps(), () => stopBounds(options), info.name, this.logger);
  }

  get state(): LifecycleState {
    return this.stateValue;
  }

  get reason(): string | undefined {
    return this.stopReason ?? this.startSequence.notReadyReason;
  }

  get registrationStatus(): RegistrationStatus {
    return this.registration.status;
  }

  get registrationError(): string | undefined {
    return this.registration.error;
  }

  get report(): StopReport | undefined {
    return this.reportValue;
  }

  /**
   * @internal Lets the library close the app itself (signals, `shutdown()`), and makes every
   * `app.close()` run the whole stop. Called by `enableGracefulShutdown(app)`.
   */
  attach(app: INestApplicationContext): void {
    if (this.app) return;
    this.app = app;
    this.nestClose = replaceClose(app, (signal) => this.stop(signal ?? 'app.close()'));
    // With no signals too: a stop begun by the app's own code holds the process's exit until it ends.
    this.signalTarget = {
      name: this.info.name,
      signals: this.options.signals,
      exit: this.options.exit,
      forceExitOnSecondSignal: this.options.forceExitOnSecondSignal,
      signalRepeatWindow: this.options.signalRepeatWindow,
      stopOnSignal: (signal, receivedAt) => {
        this.startedBySignal = true;
        return this.stop(signal, receivedAt).then((report) => report.exitCode);
      },
    };
    processSignals.add(this.signalTarget);
  }

  async shutdown(reason = 'shutdown()'): Promise<StopReport> {
    if (!this.app) {
      throw new Error(
        'nestjs-graceful: shutdown() needs the app: call enableGracefulShutdown(app) in main.ts after ' +
          'NestFactory.create().',
      );
    }
    return this.stop(reason);
  }

  async onApplicationBootstrap(): Promise<void> {
    const adapter = this.adapterHost?.httpAdapter;
    const server = adapter?.getHttpServer() as Server | undefined;
    const problem = closeSeamProblem(this.app);
    if (problem) throw new Error(problem);
    // At start too: a budget the orchestrator cuts is a deployment mistake, best seen before the first stop.
    const overGrace = overGracePeriod(this.options);
    if (overGrace) this.logger.warn(overGrace);
    // Loud: a transport the drain cannot stop would lose its in-flight work at every stop.
    const found = { ...this.options, instances: appInstances(this.modules) };
    for (const problem of this.drain.attach(this.app, server, found)) this.logger.warn(problem);
    if (!adapter || !server) return this.startSequence.run(undefined);
    drainBeforeClose(adapter, () => this.sequence.drain('app.close()'));
    if (server.listening) return this.startSequence.run(server);
    server.once('listening', () => void this.startSequence.run(server));
  }

  /** Nest 12 closed the app without the library (its own close or shutdown hooks): finish the stop here. */
  async onApplicationShutdown(): Promise<void> {
    if (this.running) return; // the library's own close finishes the stop itself
    if (this.sequence.begun) {
      this.sequence.teardownDone(this.teardownHooks.failure);
      this.ended(await this.sequence.finish());
    } else {
      // Closed before any stop began (a failed bootstrap): only release what we hold.
      await this.release();
    }
  }

  /** One stop per app, whoever asks: a signal, `shutdown()`, `app.close()`. */
  private stop(reason: string, requestedAt = performance.now()): Promise<StopReport> {
    return (this.running ??= this.sequence.run(reason, requestedAt).then((report) => this.ended(report)));
  }

  private steps(): StopSteps {
    const hooks = (name: HookName) => (this.options[name].length === 0 ? undefined : () => this.runStopHooks(name));
    return {
      unready: (reason, requestedAt, budget) => this.unready(reason, requestedAt, budget),
      beforeStop: hooks('beforeStop'),
      afterStop: hooks('afterStop'),
      deregister: (signal) => this.registration.deregister(this.info, signal),
      delay: () => this.delay(),
      closeListeners: async (signal) => {
        for (const line of await this.drain.stopAccepting(signal)) this.logger.log(line);
      },
      drain: async (signal) => {
        await this.drain.whenIdle(signal);
        signal.throwIfAborted();
        this.ledger.seal();
      },
      abortRemaining: () => this.drain.abortRemaining(this.options.abortGrace),
      disconnect: async (signal) => {
        await this.drain.closeRemaining(signal);
        this.stateValue = 'stopping';
      },
      teardown: async () => {
        await this.nestClose!(this.stopReason);
        const failure = this.teardownHooks.failure;
        if (failure) throw new Error(failure);
      },
      release: () => this.release(),
      drained: () => this.drain.drained,
      aborted: () => this.drain.aborted,
    };
  }

  /** Phase 1, synchronous so that readiness is down in the same tick as the request. */
  private unready(reason: string, requestedAt: number, budget: number): void {
    this.stopReason = reason;
    this.stateValue = 'draining';
    const flipMs = performance.now() - requestedAt;
    this.drain.beginStop(reason);
    this.teardownHooks.watch(this.modules);
    if (this.signalTarget) processSignals.began(this.signalTarget);
    this.logger.log(
      `stop (${reason}): readiness down ${flipMs.toFixed(3)} ms after it was asked for; the stop may take up to ` +
        `${budget} ms`,
    );
    const keepAlive = this.startedBySignal && this.options.exit;
    this.watchdog.arm(budget + WATCHDOG_SLACK_MS, keepAlive, () => {
      this.logger.error(
        `the stop did not end within its budget (${budget} ms + ${WATCHDOG_SLACK_MS} ms) in state ` +
          `${this.stateValue}: it is stuck`,
      );
      if (this.signalTarget) processSignals.giveUp(this.signalTarget);
    });
  }

  private async runStopHooks(name: HookName): Promise<void> {
    const failure = await runHooks(
      name,
      this.options[name],
      { app: this.info, reason: this.stopReason },
      this.options.hookTimeout,
      this.logger,
    );
    if (failure) throw new Error(failure);
  }

  private async delay(): Promise<void> {
    const ms = this.options.shutdownDelay;
    if (ms === 0) return;
    this.logger.log(`serving ${ms} ms more (shutdownDelay) while balancers notice`);
    await sleep(ms);
  }

  private async release(): Promise<void> {
    this.drain.detach();
    await this.registration.close();
    this.stateValue = 'stopped';
  }

  /** After the report is logged: nothing of the stop may keep the process, or its signals, any longer. */
  private ended(report: StopReport): StopReport {
    this.reportValue = report;
    this.watchdog.disarm();
    if (this.signalTarget) processSignals.remove(this.signalTarget, report.exitCode);
    return report;
  }
}
