import type { Dispatcher, Pool } from 'undici';
import type { ServiceInstance } from '../registry/service-instance.interface.js';
import { Upstream, type UpstreamOptions } from './upstream.js';

/** Where a client says what it learned from the watch (instances added and removed). */
export interface DiscoveryClientLogger {
  log?(message: string): void;
  warn(message: string): void;
}

/** The first http(s) endpoint's origin: the client speaks HTTP. */
function httpOrigin(endpoints: readonly string[]): string | undefined {
  const endpoint = endpoints.find((e) => /^https?:\/\//i.test(e) && URL.canParse(e));
  return endpoint === undefined ? undefined : new URL(endpoint).origin;
}

/** @internal The pool settings, and how long an instance that left stays a fallback. */
export interface UpstreamSetOptions extends UpstreamOptions {
  fallbackWindow: number;
}

/**
 * @internal The instances of one service the watch last reported, each with its pool. An
 * instance that leaves the list is out of every later pick at once while another one passes.
 * When none passes, the instances that left within `fallbackWindow` are picked instead (Envoy's
 * panic mode, in time): one that left is usually still serving through its `shutdownDelay` and
 * drain, and one that has closed refuses the connection, which is safe to send elsewhere.
 */
export class UpstreamSet {
  private readonly upstreams = new Map<string, Upstream>();
  /** Instances that left the list, each closed at the end of its window. */
  private readonly departed = new Map<string, { upstream: Upstream; timer: NodeJS.Timeout }>();
  private lastDepartureAt = Number.NEGATIVE_INFINITY;
  private listed = false;
  private watchError: unknown;
  private readonly waiters = new Set<() => void>();
  private readonly warnedNoHttp = new Set<string>();

  constructor(
    private readonly service: string,
    private readonly options: UpstreamSetOptions,
    private readonly logger: DiscoveryClientLogger,
    private readonly createPool?: (origin: string, options: Pool.Options) => Dispatcher,
  ) {}

  get instances(): ServiceInstance[] {
    return [...this.upstreams.values()].map((u) => u.instance);
  }

  /** Whether the watch has given a list yet. */
  get known(): boolean {
    return this.listed;
  }

  /** The watch's last error, while it has given no list since. */
  get error(): unknown {
    return this.watchError;
  }

  update(instances: readonly ServiceInstance[]): void {
    const next = new Map<string, { instance: ServiceInstance; origin: string }>();
    for (const instance of instances) {
      const origin = httpOrigin(instance.endpoints);
      if (origin !== undefined) next.set(instance.id, { instance, origin });
      else if (!this.warnedNoHttp.has(instance.id)) {
        this.warnedNoHttp.add(instance.id);
        this.logger.warn(
          `"${this.service}" instance ${instance.id} has no http(s) endpoint ` +
            `(${instance.endpoints.join(', ') || 'none'}); not used`,
        );
      }
    }
    const removed: string[] = [];
    for (const [id, upstream] of this.upstreams) {
      const same = next.get(id);
      if (same?.origin === upstream.origin) {
        upstream.instance = same.instance;
        continue;
      }
      this.upstreams.delete(id);
      removed.push(`${id} (${upstream.origin})`);
      this.depart(upstream, same === undefined);
    }
    const added: string[] = [];
    for (const [id, { instance, origin }] of next) {
      if (this.upstreams.has(id)) continue;
      const back = this.departed.get(id)?.upstream;
      this.forgetDeparted(id);
      if (back?.origin === origin) {
        back.instance = instance;
        // Listed again: registered anew, maybe by a new process at the same address.
        back.ejection.lift();
      } else void back?.close();
      this.upstreams.set(
        id,
        back?.origin === origin ? back : new Upstream(instance, origin, this.options, this.createPool),
      );
      added.push(`${id} (${origin})`);
    }
    this.listed = true;
    this.watchError = undefined;
    if (added.length > 0 || removed.length > 0) {
      const changes = [
        ...(added.length > 0 ? [`added ${added.join(', ')}`] : []),
        ...(removed.length > 0 ? [`removed ${removed.join(', ')}`] : []),
      ];
      const fallback =
        this.upstreams.size === 0 && this.departed.size > 0
          ? `; none passing: falling back to ${[...this.departed.keys()].join(', ')} ` +
            `for up to ${this.options.fallbackWindow} ms (fallbackWindow)`
          : '';
      this.logger.log?.(`"${this.service}": ${this.upstreams.size} instances, ${changes.join(', ')}${fallback}`);
    }
    this.wakeAll();
  }

  fail(error: unknown): void {
    this.watchError = error;
    this.wakeAll();
  }

  /** Resolves once the watch gave a list or failed, or `signal` fired. */
  settled(signal: AbortSignal): Promise<void> {
    if (this.listed || this.watchError !== undefined) return Promise.resolve();
    return this.nextChange(signal);
  }

  /**
   * The passing instances not in `exclude` and not ejected; when none passes, those that left
   * within the window. When all of them are ejected, all of them: a call never fails only for that.
   */
  candidates(exclude: ReadonlySet<string>): Upstream[] {
    const pool = this.upstreams.size > 0 ? this.upstreams.values() : [...this.departed.values()].map((d) => d.upstream);
    const untried = [...pool].filter((u) => !exclude.has(u.instance.id));
    const inRotation = untried.filter((u) => !u.ejection.active);
    return inRotation.length > 0 ? inRotation : untried;
  }

  /**
   * No connection to the instance could be made (`cause`): one that left has closed, so it is no
   * fallback any more; one still listed is ejected (Consul can list it for seconds after its close).
   */
  unreachable(upstream: Upstream, cause: string): void {
    const id = upstream.instance.id;
    if (this.departed.get(id)?.upstream === upstream) {
      this.forgetDeparted(id);
      void upstream.close();
      return;
    }
    // Not one the watch has dropped or replaced since (its pool closed under the request).
    if (this.upstreams.get(id) !== upstream) return;
    const ms = upstream.ejection.eject();
    if (ms === undefined) return;
    const line = `"${this.service}": ${id} (${upstream.origin}) out of picks for ${ms} ms (ejectionTime): ${cause}`;
    // A second one in a row: it refused again after its ejection, still listed.
    if (ms > this.options.ejectionTime) this.logger.warn(`${line}, again while still listed`);
    else this.logger.log?.(line);
  }

  /** A request sent to the instance at its ejection's `generation` got its response head: an ejection ends. */
  answered(upstream: Upstream, generation: number): void {
    if (upstream.ejection.answered(generation))
      this.logger.log?.(`"${this.service}": ${upstream.instance.id} (${upstream.origin}) answers again: back in picks`);
  }

  /**
   * While none passes and an instance left less than `fallbackWindow` ago (a restart under way),
   * waits for the list to change, the window to close or `signal`; true when it waited.
   */
  async awaitReplacement(signal: AbortSignal): Promise<boolean> {
    const windowEnd = () => this.lastDepartureAt + this.options.fallbackWindow - performance.now();
    if (this.upstreams.size > 0 || windowEnd() <= 0) return false;
    while (this.upstreams.size === 0 && windowEnd() > 0 && !signal.aborted)
      await this.nextChange(signal, Math.ceil(windowEnd()));
    return this.upstreams.size > 0;
  }

  /** Ends every pool: requests in flight are aborted. */
  async destroy(): Promise<void> {
    const all = [...this.upstreams.values(), ...[...this.departed.values()].map((d) => d.upstream)];
    this.upstreams.clear();
    for (const id of [...this.departed.keys()]) this.forgetDeparted(id);
    await Promise.all(all.map((u) => u.destroy()));
  }

  /** Keeps an instance that left as a fallback for the window (not one whose endpoint changed), then closes it. */
  private depart(upstream: Upstream, fallback: boolean): void {
    const { fallbackWindow } = this.options;
    if (!fallback || fallbackWindow === 0) {
      void upstream.close();
      return;
    }
    const id = upstream.instance.id;
    this.lastDepartureAt = performance.now();
    const timer = setTimeout(() => {
      this.forgetDeparted(id);
      void upstream.close();
    }, fallbackWindow);
    timer.unref();
    this.departed.set(id, { upstream, timer });
  }

  private forgetDeparted(id: string): void {
    clearTimeout(this.departed.get(id)?.timer);
    this.departed.delete(id);
  }

  /** Resolves at the next update or watch failure, when `signal` fires, or after `ms`. */
  private nextChange(signal: AbortSignal, ms?: number): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(() => done(), ms);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private wakeAll(): void {
    for (const wake of [...this.waiters]) wake();
  }
}
