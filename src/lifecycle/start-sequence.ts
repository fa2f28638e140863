import type { Logger } from '@nestjs/common';
import type { Server } from 'node:http';
import { serverEndpoint, type MutableAppInfo } from '../app-info/build-app-info.js';
import type { Registration } from '../registry/registration.js';
import type { LifecycleOptions } from './lifecycle-options.interface.js';
import { runHooks } from './run-hooks.js';

/** @internal What the start reads and changes of the lifecycle it belongs to. */
export interface StartSteps {
  /** A stop began: it wins, nothing starts or registers after it. */
  stopBegun(): boolean;
  /** Readiness up (and the gRPC health SERVING), unless a stop began first: returns whether it went up. */
  becomeReady(): boolean;
}

/**
 * @internal The start, once the server listens (at bootstrap when there is none): the endpoint
 * advertised, the `beforeStart` hooks, the registration, then ready and the `afterStart` hooks.
 * With `readiness: 'registered'`, ready waits until the registrar registered the instance.
 */
export class StartSequence {
  /** Why the app is not ready while it starts (registering); undefined once ready. */
  notReadyReason?: string;
  private started = false;

  constructor(
    private readonly options: LifecycleOptions,
    private readonly info: MutableAppInfo,
    private readonly registration: Registration,
    private readonly logger: Logger,
    private readonly steps: StartSteps,
  ) {}

  async run(server: Server | undefined): Promise<void> {
    // A stop asked for before listen() finished, or during the hooks, wins: no registration after it.
    if (this.started || this.steps.stopBegun()) return;
    this.started = true;
    this.fillEndpoints(server);
    const context = { app: this.info };
    await runHooks('beforeStart', this.options.beforeStart, context, this.options.hookTimeout, this.logger);
    if (this.steps.stopBegun()) return;
    const ready = () => {
      if (!this.steps.becomeReady()) return;
      this.notReadyReason = undefined;
      void runHooks('afterStart', this.options.afterStart, context, this.options.hookTimeout, this.logger);
    };
    if (this.registration.enabled && this.options.readiness === 'registered') {
      this.notReadyReason = 'registering';
      this.registration.start(this.info, ready);
    } else {
      this.registration.start(this.info, () => undefined);
      ready();
    }
  }

  private fillEndpoints(server: Server | undefined): void {
    const endpoint = this.options.endpoints ? undefined : serverEndpoint(server, this.options.advertiseHost);
    if (endpoint?.warning) this.logger.warn(endpoint.warning);
    if (endpoint) this.info.endpoints.push(endpoint.url);
  }
}
