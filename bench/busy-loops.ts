import { spawn, type ChildProcess } from 'node:child_process';

/** Two processes spinning on the CPU, so the app and the clients fight for the 2 cores. */
export function busyLoops(): ChildProcess[] {
  return [0, 1].map(() => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
}
