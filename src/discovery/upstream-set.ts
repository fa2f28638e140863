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

/**
 * @internal The instances of one service the watch last reported, each with its pool. An
 * instance that leaves the list is out of every later pick at once, and its pool closes as
 * soon as the requests it is answering are done.
 */
export class UpstreamSet {
  private readonly upstreams = new Map<string, Upstream>();
  private listed = false;
  private watchError: unknown;
  private readonly waiters = new Set<() => void>();
  private readonly warnedNoHttp = new Set<string>();

  constructor(
    private readonly service: string,
    private readonly options: UpstreamOptions,
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
        this.logger.warn(`"${this.service}" instance ${instance.id} has no http(s) endpoint (${instance.endpoints.join(', ') || 'none'}); not used`);
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
      void upstream.close();
    }
    const added: string[] = [];
    for (const [id, { instance, origin }] of next) {
      if (this.upstreams.has(id)) continue;
      this.upstreams.set(id, new Upstream(instance, origin, this.options, this.createPool));
      added.push(`${id} (${origin})`);
    }
    this.listed = true;
    this.watchError = undefined;
    if (added.length > 0 || removed.length > 0) {
      this.logger.log?.(
        `"${this.service}": ${this.upstreams.size} instances` +
          `${added.length > 0 ? `, added ${added.join(', ')}` : ''}${removed.length > 0 ? `, removed ${removed.join(', ')}` : ''}`,
      );
    }
    this.wakeAll();
  }

  fail(error: unknown): void {
    this.watchError = error;
    this.wakeAll();
  }

  /** Resolves once the watch gave a list or failed, or `signal` fired. */
  settled(signal: AbortSignal): Promise<void> {
    if (this.listed || this.watchError !== undefined || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  candidates(exclude: ReadonlySet<string>): Upstream[] {
    return [...this.upstreams.values()].filter((u) => !exclude.has(u.instance.id));
  }

  /** Ends every pool: requests in flight are aborted. */
  async destroy(): Promise<void> {
    const all = [...this.upstreams.values()];
    this.upstreams.clear();
    await Promise.all(all.map((u) => u.destroy()));
  }

  private wakeAll(): void {
    for (const wake of [...this.waiters]) wake();
  }
}
