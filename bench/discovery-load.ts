import type { ServiceClient } from '../src/discovery';

export interface LoadTally {
  ok: number;
  /** Requests that got no 200: `reason → count`. */
  failed: Map<string, number>;
  /** Requests answered after more than one attempt (sent again by the client). */
  retried: number;
}

/**
 * `loops` callers, each sending GET /orders/<n>?delay=<delayMs> through `client` one after
 * the other over its keep-alive pools, until `stop()` or `maxMs` or `maxRequests` in all.
 */
export function discoveryLoad(
  client: ServiceClient,
  loops: number,
  delayMs: number,
  maxMs: number,
  maxRequests = 500_000,
) {
  const tally: LoadTally = { ok: 0, failed: new Map(), retried: 0 };
  let stopped = false;
  let sent = 0;
  const deadline = performance.now() + maxMs;
  const fail = (reason: string) => tally.failed.set(reason, (tally.failed.get(reason) ?? 0) + 1);
  const loop = async (n: number) => {
    while (!stopped && sent < maxRequests && performance.now() < deadline) {
      sent++;
      try {
        const response = await client.request({ path: `/orders/${n}-${sent}?delay=${delayMs}` });
        const text = await response.body.text();
        if (response.attempts > 1) tally.retried++;
        if (response.statusCode === 200) tally.ok++;
        else fail(`status ${response.statusCode}: ${text.slice(0, 80)}`);
      } catch (err) {
        fail(
          (err as Error).message
            .replace(/\d+-\d+\?delay/, 'N?delay')
            .replace(/vm-\d+-[0-9a-f]+|orders(-plain)?-\d+/g, 'ID')
            .slice(0, 200),
        );
      }
    }
  };
  const all = Promise.all(Array.from({ length: loops }, (_, n) => loop(n)));
  return {
    tally,
    stop: async (): Promise<LoadTally> => {
      stopped = true;
      await all;
      return tally;
    },
  };
}
