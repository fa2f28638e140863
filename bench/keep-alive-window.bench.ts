import { Agent, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus } from 'node:os';
import { Pool } from 'undici';
import { once } from '../test/support/keep-alive-load';
import { spawnApp } from '../test/support/spawn-app';
import { envInt, loadAverage } from './bench-env';
import { busyLoops } from './busy-loops';
import { startHaproxy } from './haproxy';
import { median } from './median';
import { PLATFORMS } from './variants';

/**
 * `npm run bench:window`: how long a keep-alive connection must be left open, once the
 * listener is closed, for its client's next request to arrive rather than cross the
 * server's FIN. 16 looping clients on GET /slow?ms=2 of the fixture app (shutdownDelay
 * 300 ms), while two busy loops compete for the cores, of three kinds: Node's http Agent
 * (keep-alive, a socket per client), an undici Pool (16 connections), and the Agent through
 * HAProxy in front of the app and a second server (its server-side connection reuse; it
 * checks /health/ready every 100 ms, so that it stops sending to the app during the delay
 * and its idle connections to the app are what the window holds). Side by side in one run:
 * - the gap between a response's end and the next request on the same connection, as the app sees it;
 * - for each window, real stops (SIGTERM once 100 requests were answered): requests lost
 *   (written, and no full answer: a reset on a reused connection, a 502) and SIGTERM to exit.
 * Env: WINDOW_STOPS (4 stops per window and client, platforms alternating), WINDOW_LIST (0,50,100,200,400,1000).
 */
const CLIENTS = 16;
const PATH = '/slow?ms=2';
const SIGTERM_AFTER_ANSWERS = 100;
/** The windows (ms) compared; the library's is KEEP_ALIVE_WINDOW_MS (src/drain/http-grace.constants.ts). */
const WINDOWS = (process.env.WINDOW_LIST ?? '0,50,100,200,400,1000').split(',');
const STOPS = envInt('WINDOW_STOPS', 4);
const KINDS = ['agent', 'undici', 'haproxy'] as const;
type Kind = (typeof KINDS)[number];

/** One request: `ok`, `refused` (nothing written), or what went wrong. */
type Send = () => Promise<string>;

interface Loops {
  answered(n: number): Promise<void>;
  /** Ends every loop after its current request. */
  stop(): void;
  readonly failures: Promise<string[]>;
}

/** `clients` loops, each sending its next request as soon as the last one ended; one refused ends its loop. */
function loop(sends: Send[]): Loops {
  let ok = 0;
  let stopped = false;
  const failures: string[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const wake = () => {
    for (const waiter of [...waiters]) {
      if (stopped || ok >= waiter.n) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  const run = async (send: Send) => {
    for (let i = 0; i < 1_000_000 && !stopped; i++) {
      const outcome = await send();
      if (outcome === 'refused') return;
      if (outcome === 'ok') ok++;
      else failures.push(outcome);
      wake();
    }
  };
  const done = Promise.all(sends.map(run)).then(() => {
    stopped = true;
    wake();
    return failures;
  });
  return {
    answered: (n) => new Promise((resolve) => waiters.push({ n, resolve })),
    stop: () => (stopped = true),
    failures: done,
  };
}

function agentSends(port: number): { sends: Send[]; close: () => void } {
  const agents = Array.from({ length: CLIENTS }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
  return {
    sends: agents.map((agent) => () => once(port, PATH, agent)),
    close: () => agents.forEach((agent) => agent.destroy()),
  };
}

function undiciSends(port: number): { sends: Send[]; close: () => void } {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: CLIENTS });
  const send: Send = async () => {
    try {
      const response = await pool.request({ path: PATH, method: 'GET' });
      await response.body.dump();
      return response.statusCode === 200 ? 'ok' : `status ${response.statusCode}`;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return code === 'ECONNREFUSED' ? 'refused' : `request error ${code ?? String(error)}`;
    }
  };
  return { sends: Array.from({ length: CLIENTS }, () => send), close: () => void pool.destroy() };
}

/** The server HAProxy sends half the load to, which stays up. */
function steadyServer(): Promise<Server> {
  const server = createServer((_req, res) => setTimeout(() => res.end('{"row":"steady"}'), 2));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

interface StopResult {
  lost: string[];
  stopMs: number;
  exitCode: number | null;
  gaps: number[];
}

async function stopUnderLoad(kind: Kind, window: string, platform: string, steady: number): Promise<StopResult> {
  const app = await spawnApp('../bench/window-server.js', {
    FIXTURE: JSON.stringify({ platform, options: { shutdownDelay: 300 }, health: {} }),
    WINDOW_MS: window,
  });
  const haproxy =
    kind === 'haproxy'
      ? await startHaproxy([
          { port: app.port, checked: true },
          { port: steady, checked: false },
        ])
      : undefined;
  const port = haproxy?.port ?? app.port;
  const { sends, close } = kind === 'undici' ? undiciSends(port) : agentSends(port);
  const load = loop(sends);
  try {
    await load.answered(SIGTERM_AFTER_ANSWERS);
    const sentAt = performance.now();
    app.kill('SIGTERM');
    const killer = setTimeout(() => app.kill('SIGKILL'), 15_000);
    const exit = await app.exited;
    clearTimeout(killer);
    // HAProxy's clients are never refused: they stop a moment after the app is gone.
    await new Promise((resolve) => setTimeout(resolve, 200));
    load.stop();
    const lost = await load.failures;
    const gaps = JSON.parse(/^GAPS (.*)$/m.exec(app.output())?.[1] ?? '[]') as number[];
    return { lost, stopMs: Math.round(exit.at - sentAt), exitCode: exit.code, gaps };
  } finally {
    load.stop();
    close();
    app.kill('SIGKILL');
    await haproxy?.stop();
  }
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

async function main(): Promise<void> {
  console.log(
    `keep-alive window bench  node ${process.version}  ${cpus().length} cpus  load average ${loadAverage()}  ` +
      `${STOPS} stops per window and client, 2 busy loops`,
  );
  const hogs = busyLoops();
  const steady = await steadyServer();
  const steadyPort = (steady.address() as AddressInfo).port;
  const gaps = new Map<Kind, number[]>(KINDS.map((kind) => [kind, []]));
  const cells = new Map<string, StopResult[]>();
  try {
    for (let stop = 0; stop < STOPS; stop++) {
      for (const window of WINDOWS) {
        for (const kind of KINDS) {
          const platform = PLATFORMS[stop % PLATFORMS.length]!;
          const result = await stopUnderLoad(kind, window, platform, steadyPort);
          gaps.get(kind)!.push(...result.gaps);
          const key = `${kind} ${window}`;
          cells.set(key, [...(cells.get(key) ?? []), result]);
          console.log(
            `stop ${stop + 1}/${STOPS}  window ${window.padStart(4)} ms  ${kind.padEnd(7)} ${platform.padEnd(7)}  ` +
              `lost ${result.lost.length}  stop ${result.stopMs} ms  exit ${result.exitCode}` +
              (result.lost.length > 0 ? `  (${[...new Set(result.lost)].join(', ')})` : ''),
          );
        }
      }
    }
  } finally {
    hogs.forEach((hog) => hog.kill('SIGKILL'));
    steady.close();
  }
  console.log("\nGap from a response's end to the next request on the same connection (ms), as the app sees it:");
  console.log('| client | requests | p50 | p99 | p99.9 | max |\n|---|---|---|---|---|---|');
  for (const [kind, values] of gaps) {
    const sorted = values.sort((a, b) => a - b);
    const at = (q: number) => quantile(sorted, q).toFixed(1);
    console.log(`| ${kind} | ${sorted.length} | ${at(0.5)} | ${at(0.99)} | ${at(0.999)} | ${at(1)} |`);
  }
  console.log(
    `\nLost requests in ${STOPS} stops (stop time median / max, SIGTERM to exit, shutdownDelay 300 ms), per window:`,
  );
  console.log(`| window | ${KINDS.join(' | ')} |\n|---|${KINDS.map(() => '---|').join('')}`);
  for (const window of WINDOWS) {
    const row = KINDS.map((kind) => {
      const runs = cells.get(`${kind} ${window}`)!;
      const lost = runs.reduce((sum, run) => sum + run.lost.length, 0);
      const stops = runs.map((run) => run.stopMs);
      return `${lost} lost (${median(stops)} / ${Math.max(...stops)} ms)`;
    });
    console.log(`| ${window} ms | ${row.join(' | ')} |`);
  }
  console.log(`\nload average ${loadAverage()}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : String(error));
  process.exitCode = 2;
});
