import type { Logger } from '@nestjs/common';
import { bounded, describeError, sleep } from '../lifecycle/bounded';
import type { RegistrationStatus } from '../lifecycle/lifecycle-state';
import type { Registrar } from './registrar';
import type { ServiceInstance } from './service-instance';

export interface RegistrationOptions {
  readonly registrarTimeout: number;
  readonly registerRetryDelay: number;
  readonly registerRetryMaxDelay: number;
}

/**
 * Registers the instance, retrying with exponential backoff while the registry is down
 * (each attempt bounded by `registrarTimeout`), and deregisters it on stop.
 */
export class Registration {
  private statusValue: RegistrationStatus = 'none';
  private lastError?: string;
  private readonly stopRetrying = new AbortController();
  private readonly cancelAttempt = new AbortController();
  private attempt?: Promise<unknown>;
  private loop?: Promise<void>;

  constructor(
    private readonly registrar: Registrar | undefined,
    private readonly options: RegistrationOptions,
    private readonly logger: Logger,
  ) {}

  get status(): RegistrationStatus {
    return this.statusValue;
  }

  /** Why the last attempt failed, while the status is `failed`. */
  get error(): string | undefined {
    return this.statusValue === 'failed' ? this.lastError : undefined;
  }

  get enabled(): boolean {
    return this.registrar !== undefined;
  }

  /** Starts registering in the background; `onRegistered` runs once it succeeds. */
  start(instance: ServiceInstance, onRegistered: () => void): void {
    if (!this.registrar || this.loop || this.stopRetrying.signal.aborted) return;
    this.statusValue = 'pending';
    this.loop = this.run(this.registrar, instance, onRegistered);
  }

  /**
   * Stops retrying, lets an attempt in flight settle (or aborts it when `signal` fires),
   * then deregisters: a registration can then not land after the deregistration.
   */
  async deregister(instance: ServiceInstance, signal: AbortSignal): Promise<void> {
    this.stopRetrying.abort();
    // Never tried (stopped before listen()): nothing can be registered, so no network call.
    if (!this.registrar || !this.loop) return;
    const onAbort = () => this.cancelAttempt.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    await this.attempt;
    signal.removeEventListener('abort', onAbort);
    signal.throwIfAborted();
    await this.registrar.deregister(instance, signal);
    this.statusValue = 'deregistered';
  }

  async close(): Promise<void> {
    this.stopRetrying.abort();
    this.cancelAttempt.abort();
    await this.registrar?.close?.();
  }

  private async run(registrar: Registrar, instance: ServiceInstance, onRegistered: () => void): Promise<void> {
    const { registrarTimeout, registerRetryDelay, registerRetryMaxDelay } = this.options;
    let delay = registerRetryDelay;
    for (let n = 1; !this.stopRetrying.signal.aborted; n++) {
      const attempt = bounded(registrarTimeout, (signal) => registrar.register(instance, signal), this.cancelAttempt.signal);
      this.attempt = attempt;
      const result = await attempt;
      if (this.stopRetrying.signal.aborted) return;
      if (result.ok) {
        this.statusValue = 'registered';
        this.logger.log(`registered ${instance.name} (${instance.id}) in ${result.ms} ms${n > 1 ? ` after ${n} attempts` : ''}`);
        onRegistered();
        return;
      }
      this.statusValue = 'failed';
      this.lastError = result.timedOut ? `no answer within ${registrarTimeout} ms (registrarTimeout)` : describeError(result.error);
      this.logger.warn(`registration attempt ${n} failed after ${result.ms} ms: ${this.lastError}; retrying in ${delay} ms`);
      await sleep(delay, this.stopRetrying.signal);
      delay = Math.min(delay * 2, registerRetryMaxDelay);
    }
  }
}
