import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

export interface SpawnedApp {
  readonly proc: ChildProcess;
  readonly port: number;
  /** Everything the app wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the first line matching `pattern`, waiting for it if needed. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  kill(signal?: NodeJS.Signals): void;
}

export interface SpawnedProcess extends Omit<SpawnedApp, 'port'> {
  /** The line that matched `ready`. */
  readonly readyLine: string;
}

/**
 * Spawns `command` and waits until it prints a line matching `ready` (SIGKILLs it if it
 * does not within `readyTimeoutMs`: generous, since a start on a machine whose cores are all
 * busy, as under npm run stress, can take 20 s).
 */
export async function spawnProcess(
  command: string,
  args: string[],
  {
    cwd,
    env = {},
    ready,
    readyTimeoutMs = 60_000,
  }: { cwd: string; env?: Record<string, string>; ready: RegExp; readyTimeoutMs?: number },
): Promise<SpawnedProcess> {
  const proc = spawn(command, args, {
    cwd,
    env: { ...process.env, ...env, NO_COLOR: '1', FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    text += chunk.toString('utf8');
    for (const listener of listeners) listener();
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    // 'close', not 'exit': only then has everything the app wrote been read.
    proc.once('close', (code, signal) => resolve({ code, signal, at: performance.now() })),
  );
  let dead = false;
  void exited.then(() => {
    dead = true;
    for (const listener of listeners) listener();
  });

  const waitForLine = (pattern: RegExp, timeoutMs = 10_000): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const line = text.split('\n').find((l) => pattern.test(l));
        if (line !== undefined) return finish(() => resolve(line));
        if (dead) finish(() => reject(new Error(`app exited before printing ${pattern}; output:\n${text}`)));
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; output:\n${text}`))),
        timeoutMs,
      );
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        listeners.delete(check);
        settle();
      };
      listeners.add(check);
      check();
    });

  const readyLine = await waitForLine(ready, readyTimeoutMs).catch((error: unknown) => {
    proc.kill('SIGKILL');
    throw error;
  });
  return {
    proc,
    readyLine,
    output: () => text,
    waitForLine,
    exited,
    kill: (signal = 'SIGTERM') => {
      if (!dead) proc.kill(signal);
    },
  };
}

/**
 * Spawns a compiled app (built by `npm run build:test` into build/) as a child process
 * and waits until it prints `LISTENING <port>`.
 */
export async function spawnApp(
  script: string,
  env: Record<string, string>,
  { nodeBinary = process.execPath, root = ROOT }: { nodeBinary?: string; root?: string } = {},
): Promise<SpawnedApp> {
  const app = await spawnProcess(nodeBinary, [join(root, 'build', script)], {
    cwd: root,
    env,
    ready: /^LISTENING \d+/,
  });
  return { ...app, port: Number(app.readyLine.split(' ')[1]) };
}

/** Spawns the fixture server (test/fixtures/server.ts) with a config; `root` holds build/ and node_modules/. */
export function spawnFixture(config: object, where?: { nodeBinary?: string; root?: string }): Promise<SpawnedApp> {
  return spawnApp('test/fixtures/server.js', { FIXTURE: JSON.stringify(config) }, where);
}
