import { keepAliveLoad, type LoadResult } from '../test/support/keep-alive-load';
import { spawnApp } from '../test/support/spawn-app';
import type { BenchPlatform } from './variants';

export interface StopRun extends LoadResult {
  exitCode: number | null;
  /** From SIGTERM to the process's exit (ms). */
  stopMs: number;
  /** The app's `stop report {...}` log line, if it printed one. */
  stopReport?: string;
  /** Everything the app printed, to show what it did in a failed run. */
  output: string;
}

/** When the SIGTERM is sent: after a time, or once the load got that many answers. */
export type SigtermAfter = { ms: number } | { answered: number };

/**
 * One stop under load: the fixture app (shutdownDelay 300 ms), `clients` looping
 * keep-alive clients on GET `path`, SIGTERM at `sigtermAfter`. The load ends when
 * every client is refused (the listener closed) or after 10 s; the app must exit by then.
 */
export async function lossUnderStop(
  platform: BenchPlatform,
  clients: number,
  sigtermAfter: SigtermAfter,
  path = '/ping',
): Promise<StopRun> {
  // spawnFixture() resolves build/<script> from the repo root as seen from test/support in
  // the sources (vitest); compiled, as here, its root is build/, hence the relative path.
  const app = await spawnApp('../test/fixtures/server.js', {
    FIXTURE: JSON.stringify({ platform, options: { shutdownDelay: 300 } }),
  });
  try {
    const load = keepAliveLoad(app.port, path, clients, 10_000);
    if ('ms' in sigtermAfter) await new Promise((resolve) => setTimeout(resolve, sigtermAfter.ms));
    else await load.answered(sigtermAfter.answered);
    const sentAt = performance.now();
    app.kill('SIGTERM');
    const result = await load.finished;
    const killer = setTimeout(() => app.kill('SIGKILL'), 10_000);
    const exit = await app.exited;
    clearTimeout(killer);
    const stopReport = /stop report (\{.*\})/.exec(app.output())?.[1];
    return { ...result, exitCode: exit.code, stopMs: Math.round(exit.at - sentAt), stopReport, output: app.output() };
  } finally {
    app.kill('SIGKILL');
  }
}
