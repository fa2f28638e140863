import type { Discovery, Watcher } from '../registry/discovery.interface.js';
import type { ServiceInstance } from '../registry/service-instance.interface.js';

/**
 * A Discovery over fixed instances: a service's client in tests (a local stub for each service
 * the app calls), or upstreams that never move. Instance `i` of `name` (from 1) has the id
 * `name-i` and one endpoint. Its watch gives the list once and nothing after.
 *
 * ```ts
 * .overrideProvider(DISCOVERY).useValue(new StaticDiscovery({ orders: ['http://127.0.0.1:4000'] }))
 * ```
 */
export class StaticDiscovery implements Discovery {
  private readonly services: ReadonlyMap<string, readonly ServiceInstance[]>;

  constructor(services: Readonly<Record<string, readonly string[]>>) {
    this.services = new Map(
      Object.entries(services).map(([name, endpoints]) => [
        name,
        endpoints.map((endpoint, i): ServiceInstance => ({
          id: `${name}-${i + 1}`,
          name,
          version: '',
          metadata: {},
          endpoints: [endpoint],
        })),
      ]),
    );
  }

  async getService(name: string): Promise<ServiceInstance[]> {
    return [...(this.services.get(name) ?? [])];
  }

  watch(name: string): Watcher {
    const stopped = new AbortController();
    let listed = false;
    return {
      next: async (signal?: AbortSignal) => {
        if (!listed && !stopped.signal.aborted) {
          listed = true;
          return this.getService(name);
        }
        // Nothing ever changes: wait for the end of the watch, then reject as the contract says.
        const end = signal ? AbortSignal.any([signal, stopped.signal]) : stopped.signal;
        if (!end.aborted) await new Promise((resolve) => end.addEventListener('abort', resolve, { once: true }));
        throw new Error(`the watch of "${name}" has ended`);
      },
      stop: async () => stopped.abort(),
    };
  }
}
