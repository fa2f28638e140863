import type { ServiceClient } from '../../src/discovery/service-client';

/** Callers looping GET /ping through a ServiceClient, as a fleet's callers do during a rolling stop. */
export interface CallersLoop {
  /** Answered 200, per instance id. */
  readonly servedBy: ReadonlyMap<string, number>;
  /** Every request that got no 200: its status or error message. */
  readonly failures: readonly string[];
  /** Answered 200, in all. */
  readonly ok: number;
  /** Answered after more than one attempt: sent again by the client after a connection-level failure. */
  readonly retried: number;
  /** Stops the loops after their current request; resolves once they ended. */
  stop(): Promise<void>;
}

/** `loops` callers sending one request after the other (at most 20 000 each) until `stop()`. */
export function callersLoop(client: ServiceClient, loops = 8): CallersLoop {
  let running = true;
  const servedBy = new Map<string, number>();
  const failures: string[] = [];
  let retried = 0;
  const loop = async () => {
    for (let i = 0; running && i < 20_000; i++) {
      try {
        const response = await client.request({ path: '/ping' });
        await response.body.text();
        if (response.attempts > 1) retried++;
        if (response.statusCode !== 200) failures.push(`status ${response.statusCode}`);
        else servedBy.set(response.instance.id, (servedBy.get(response.instance.id) ?? 0) + 1);
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  };
  const all = Promise.all(Array.from({ length: loops }, loop));
  return {
    servedBy,
    failures,
    get retried() {
      return retried;
    },
    get ok() {
      return [...servedBy.values()].reduce((sum, n) => sum + n, 0);
    },
    stop: async () => {
      running = false;
      await all;
    },
  };
}
