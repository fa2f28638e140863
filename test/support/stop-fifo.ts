import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The test's side of a blocked stop: a FIFO to give a fixture as `blockStopOn`. While the
 * fixture's beforeStop hook reads it the whole process is blocked, so the kernel completes and
 * queues what clients open meanwhile; `release()` lets the stop go on.
 */
export function stopFifo(): { path: string; release(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'graceful-'));
  const path = join(dir, 'stop');
  execFileSync('mkfifo', [path]);
  return {
    path,
    release: () => {
      writeFileSync(path, 'go');
      rmSync(dir, { recursive: true });
    },
  };
}

/** The fixture's side: a beforeStop hook that prints `EVENT stop-blocked` and blocks on `fifo` (none without). */
export function blockingBeforeStop(fifo: string | undefined): (() => void) | undefined {
  if (fifo === undefined) return undefined;
  return () => {
    console.log('EVENT stop-blocked');
    readFileSync(fifo);
  };
}
