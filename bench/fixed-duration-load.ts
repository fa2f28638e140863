import { Agent, request } from 'node:http';

export interface LoadWindow {
  /** Responses (200) completed inside the measured window. */
  requests: number;
  /** Anything else inside the window (non-200, errors). */
  errors: number;
  seconds: number;
}

/**
 * `connections` keep-alive clients (one http.Agent each, one socket each) looping GET
 * `path` for `warmupMs`, then for `measureMs` during which completions are counted.
 * `onMeasureStart`/`onMeasureEnd` run at the window's edges (the server's CPU reading).
 * Bounded: stops at the end of the window whatever happens.
 */
export async function fixedDurationLoad(
  port: number,
  path: string,
  connections: number,
  warmupMs: number,
  measureMs: number,
  edges: { onMeasureStart(): Promise<void>; onMeasureEnd(): Promise<void> },
): Promise<LoadWindow> {
  let counting = false;
  let stopped = false;
  let requests = 0;
  let errors = 0;
  const loop = async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      while (!stopped) {
        const ok = await get(port, path, agent);
        if (counting && ok) requests++;
        else if (counting) errors++;
      }
    } finally {
      agent.destroy();
    }
  };
  const loops = Array.from({ length: connections }, loop);
  await sleep(warmupMs);
  await edges.onMeasureStart();
  counting = true;
  const start = performance.now();
  await sleep(measureMs);
  counting = false;
  const seconds = (performance.now() - start) / 1000;
  await edges.onMeasureEnd();
  stopped = true;
  await Promise.all(loops);
  return { requests, errors, seconds };
}

function get(port: number, path: string, agent: Agent): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
      res.on('error', () => resolve(false));
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
