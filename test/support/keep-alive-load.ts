import { Agent, request } from 'node:http';

export interface LoadResult {
  ok: number;
  /** Requests that were written and got no full response (resets, hang-ups, 5xx). */
  failures: string[];
  /** Connections refused after the listener closed: nothing was written, nothing lost. */
  refused: number;
}

export interface KeepAliveLoad {
  /** Resolves once `n` requests were answered, or the load ended first. */
  answered(n: number): Promise<void>;
  /** Resolves with the totals once every client stopped. */
  readonly finished: Promise<LoadResult>;
}

/**
 * `clients` keep-alive clients, each looping GET `path` on its own connection until the
 * server refuses connections or `maxMs` passes. Bounded in count and time.
 */
export function keepAliveLoad(port: number, path: string, clients: number, maxMs: number): KeepAliveLoad {
  const result: LoadResult = { ok: 0, failures: [], refused: 0 };
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  let ended = false;
  const wake = () => {
    for (const waiter of [...waiters]) {
      if (ended || result.ok >= waiter.n) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  const deadline = performance.now() + maxMs;
  const loop = async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 100_000 && performance.now() < deadline; i++) {
        const outcome = await once(port, path, agent);
        if (outcome === 'ok') {
          result.ok++;
          wake();
        } else if (outcome === 'refused') {
          result.refused++;
          return;
        } else result.failures.push(outcome);
      }
    } finally {
      agent.destroy();
    }
  };
  const finished = Promise.all(Array.from({ length: clients }, loop)).then(() => {
    ended = true;
    wake();
    return result;
  });
  return {
    answered: (n) =>
      new Promise((resolve) => {
        waiters.push({ n, resolve });
        wake();
      }),
    finished,
  };
}

/** One GET on `agent`: `ok`, `refused` (nothing was written), or what went wrong. */
export function once(port: number, path: string, agent: Agent): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200 ? 'ok' : `status ${res.statusCode}`));
      res.on('error', (e) => resolve(`response error ${e.message}`));
    });
    req.on('error', (e: NodeJS.ErrnoException) =>
      resolve(e.code === 'ECONNREFUSED' ? 'refused' : `request error ${e.code ?? e.message}`),
    );
    req.end();
  });
}
