import type { Logger } from '@nestjs/common';
import { bounded, describeError, sleep } from '../common/bounded.js';
import type { Registrar } from './registrar.interface.js';
import type { RegistrationStatus } from './registration-status.interface.js';
import { registrationOutcome } from './registration-outcome.js';
import type { ServiceInstance } from './service-instance.interface.js';

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
  /** Set once the stop began: no attempt starts after it, and one in flight is abandoned. */
  private readonly stopped = new AbortController();
  private loop?: Promise<void>;
  /** Whether any attempt can have registered the instance: one in flight, succeeded, or of unknown fate. */
  private maybeRegistered = false;
  /** Whether the registry answered (and refused) any attempt: a skipped deregistration says so. */
  private refusedByRegistry = false;

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

  /** Starts registering in the background; `onRegistered` runs once it succeeds. Never after {@link deregister}. */
  start(instance: ServiceInstance, onRegistered: () => void): void {
    if (!this.registrar || this.loop || this.stopped.signal.aborted) return;
    this.statusValue = 'pending';
    this.loop = this.run(this.registrar, instance, onRegistered);
  }

  /**
   * Stops retrying and abandons an attempt in flight at once (it counts as possibly
   * registered), then deregisters within `signal`'s bound. Skips the call, and says why,
   * only when no registration request can have reached the registry.
   */
  async deregister(instance: ServiceInstance, signal: AbortSignal): Promise<void> {
    this.stopped.abort();
    if (!this.registrar) return;
    if (!this.maybeRegistered) {
      this.logger.log(`deregistration skipped: ${this.whyNothingRegistered()}, so nothing can be registered`);
      return;
    }
    // The stop's bound fires the signal; say which registry did not answer, and what follows.
    const onAbort = () =>
      this.logger.warn(
        `no answer from ${this.target} to the deregistration (${describeError(signal.reason)}): callers may keep ` +
          `finding the instance until its check turns critical (a TTL that lapses, or readiness answering 503)`,
      );
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await this.registrar.deregister(instance, signal);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    this.statusValue = 'deregistered';
  }

  async close(): Promise<void> {
    this.stopped.abort();
    await this.registrar?.close?.();
  }

  private async run(registrar: Registrar, instance: ServiceInstance, onRegistered: () => void): Promise<void> {
    const { registrarTimeout, registerRetryDelay, registerRetryMaxDelay } = this.options;
    let delay = registerRetryDelay;
    for (let n = 1; !this.stopped.signal.aborted; n++) {
      const wasRegistered = this.maybeRegistered;
      // Until the attempt settles it may land: a stop meanwhile must deregister.
      this.maybeRegistered = true;
      const result = await bounded(
        registrarTimeout,
        (signal) => registrar.register(instance, signal),
        this.stopped.signal,
      );
      if (this.stopped.signal.aborted) return;
      const outcome = result.ok ? undefined : result.timedOut ? 'unknown' : registrationOutcome(result.error);
      this.maybeRegistered = wasRegistered || result.ok || outcome === 'unknown';
      this.refusedByRegistry ||= outcome === 'refused';
      if (result.ok) {
        this.statusValue = 'registered';
        this.logger.log(
          `registered ${instance.name} (${instance.id}) in ${result.ms} ms${n > 1 ? ` after ${n} attempts` : ''}`,
        );
        onRegistered();
        return;
      }
      this.statusValue = 'failed';
      this.lastError = result.timedOut ? this.noAnswer() : describeError(result.error);
      this.logger.warn(
        `registration attempt ${n} failed after ${result.ms} ms: ${this.lastError}; retrying in ${delay} ms`,
      );
      await sleep(delay, this.stopped.signal);
      delay = Math.min(delay * 2, registerRetryMaxDelay);
    }
  }

  private get target(): string {
    return this.registrar?.target ?? 'the registry';
  }

  private noAnswer(): string {
    return (
      `no answer from ${this.target} within ${this.options.registrarTimeout} ms (registrarTimeout): check that this ` +
      `address is the ` +
      `registry's HTTP API and that it is healthy (a process that accepts connections but never answers, a firewall ` +
      `that drops ` +
      `packets or an overloaded agent look like this); raise registrarTimeout only if it is merely slow`
    );
  }

  private whyNothingRegistered(): string {
    if (!this.loop) return 'registration never started';
    const last = this.lastError === undefined ? '' : ` (last: ${this.lastError})`;
    return this.refusedByRegistry
      ? `${this.target} refused every registration attempt that reached it${last}`
      : `no registration attempt reached ${this.target}${last}`;
  }
}
