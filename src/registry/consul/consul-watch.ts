import { sleep } from '../../common/bounded.js';
import type { Watcher } from '../discovery.interface.js';
import type { ServiceInstance } from '../service-instance.interface.js';
import { instancesKey } from './consul-health-entry.js';
import type { ConsulDiscoveryLogger } from './consul-discovery-options.js';

/** @internal One answer of `/v1/health/service/<name>`: the instances and `X-Consul-Index`. */
export interface HealthAnswer {
  index: number;
  instances: ServiceInstance[];
}

/** @internal A blocking query from `index` (0: answer at once); rejects with a ConsulDiscoveryError. */
export type HealthQuery = (index: number, signal: AbortSignal) => Promise<HealthAnswer>;

/** @internal */
export interface ConsulWatchOptions {
  retryDelay: number;
  retryMaxDelay: number;
  logger: ConsulDiscoveryLogger;
  /** `http://host:port` of the agent, for messages. */
  agent: string;
  /** Told once the watch stops, so its owner can forget it. */
  onStop?: () => void;
}

const messageOf = (err: unknown): string => {
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(err);
};
const isRefusal = (err: unknown): boolean => (err as { refused?: unknown } | null)?.refused === true;

/**
 * @internal Follows one service with Consul blocking queries: each answer is parked at the
 * agent until the passing set changes, so a change arrives in milliseconds, not at a poll.
 *
 * A failed query is retried with backoff. While the agent is unreachable the last list stays
 * (logged as stale, with its age); a refusal (403, bad filter) is logged as an error and
 * rejects `next()`. After any failure the next query starts from index 0: an agent that
 * restarted counts from a lower index, and a query parked on the old one would hang until
 * its wait ran out.
 */
export class ConsulWatch implements Watcher {
  private index = 0;
  private latest: ServiceInstance[] | undefined;
  private latestKey: string | undefined;
  private version = 0;
  private delivered = 0;
  private pendingError: unknown;
  private staleSince: number | undefined;
  private wake: (() => void) | undefined;
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly service: string,
    private readonly query: HealthQuery,
    private readonly options: ConsulWatchOptions,
  ) {}

  /** Since when (epoch ms) the list has been kept without an answer from Consul, if it has. */
  get stale(): number | undefined {
    return this.staleSince;
  }

  async next(signal?: AbortSignal): Promise<ServiceInstance[]> {
    this.loop ??= this.run();
    for (;;) {
      this.throwIfStopped(signal);
      if (this.pendingError !== undefined) {
        const error = this.pendingError;
        this.pendingError = undefined;
        throw error;
      }
      if (this.version > this.delivered && this.latest) {
        this.delivered = this.version;
        return this.latest;
      }
      await this.changed(signal);
    }
  }

  async stop(): Promise<void> {
    this.stopping.abort(new Error(`the watch of "${this.service}" was stopped`));
    this.options.onStop?.();
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { retryDelay, retryMaxDelay, logger } = this.options;
    let delay = retryDelay;
    let failures = 0;
    while (!this.stopping.signal.aborted) {
      try {
        const answer = await this.query(this.index, this.stopping.signal);
        if (this.stopping.signal.aborted) return;
        // Consul's blocking-query rules: take the answer's index, never below 1.
        this.index = Math.max(answer.index, 1);
        if (this.staleSince !== undefined) {
          logger.log?.(`Consul answers the watch of "${this.service}" again after ${Date.now() - this.staleSince} ms`);
        }
        this.staleSince = undefined;
        failures = 0;
        delay = retryDelay;
        this.publish(answer.instances);
      } catch (err) {
        if (this.stopping.signal.aborted) return;
        this.index = 0;
        failures++;
        this.report(err, failures, delay);
        await sleep(delay, this.stopping.signal);
        delay = Math.min(delay * 2, retryMaxDelay);
      }
    }
  }

  private report(err: unknown, failures: number, delay: number): void {
    const { logger } = this.options;
    const why = `${messageOf(err)}; retrying in ${delay} ms`;
    if (isRefusal(err)) {
      (logger.error ?? logger.warn).call(logger, `the watch of "${this.service}" was refused: ${why}`);
      this.fail(err);
    } else if (this.latest === undefined) {
      logger.warn(`no list of "${this.service}" yet (attempt ${failures}): ${why}`);
      this.fail(err);
    } else {
      this.staleSince ??= Date.now();
      logger.warn(
        `the list of "${this.service}" (${this.latest.length} instances) is stale for ` +
          `${Date.now() - this.staleSince} ms: ` +
          `kept while the Consul agent at ${this.options.agent} cannot be reached: ${why}`,
      );
    }
  }

  private publish(instances: ServiceInstance[]): void {
    const key = instancesKey(instances);
    if (key === this.latestKey) return;
    this.latest = instances;
    this.latestKey = key;
    this.version++;
    this.wake?.();
  }

  private fail(err: unknown): void {
    this.pendingError = err;
    this.wake?.();
  }

  private changed(signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        signal?.removeEventListener('abort', done);
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      this.wake = done;
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private throwIfStopped(signal: AbortSignal | undefined): void {
    this.stopping.signal.throwIfAborted();
    signal?.throwIfAborted();
  }
}
