import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
/** A cold build of the Consul agent takes about 10 minutes on 2 busy cores; the limit leaves room. */
const DEFAULT_LIMIT_MS = 30 * 60_000;
const PROGRESS_EVERY_MS = 30_000;

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

function limitMs(): number {
  const limit = Number(process.env.TOOL_BUILD_TIMEOUT_MS ?? DEFAULT_LIMIT_MS);
  if (!Number.isInteger(limit) || limit <= 0) {
    throw new Error(
      `TOOL_BUILD_TIMEOUT_MS is ${process.env.TOOL_BUILD_TIMEOUT_MS}; it must be a whole number of milliseconds ` +
        `above 0`,
    );
  }
  return limit;
}

/**
 * Runs `scripts/<script>` (a find-or-build script whose last stdout line is a path, or an
 * installer that prints nothing) in a vitest global setup: before any test file, with its own
 * limit (`TOOL_BUILD_TIMEOUT_MS`, default 30 min) and a progress line every 30 s, instead of
 * inside a test hook whose limit a cold build overruns. Resolves with its last stdout line.
 */
export function runToolScript(script: string, label: string): Promise<string> {
  const log = (message: string) => console.log(`[${label}] ${message}`);
  const limit = limitMs();
  const started = performance.now();
  // Its own process group, so the limit can end the script and the build under it.
  const child = spawn('bash', [join(ROOT, 'scripts', script)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let working = false;
  let compiled = 0;
  const tail: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  let partial = '';
  child.stderr.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      if (line.startsWith(`${script}: `)) {
        working ||= /building|installing/.test(line);
        log(line.slice(script.length + 2));
      } else if (/^[\w.-]+(\/[\w.@~-]+)+$/.test(line.trim())) {
        compiled++; // `go build -v` names each package it compiles
      }
    }
  });
  const progress = setInterval(() => {
    if (working)
      log(
        `still at it after ` +
          `${seconds(performance.now() - started)}${compiled > 0 ? `: ${compiled} Go packages compiled so far` : ''}`,
      );
  }, PROGRESS_EVERY_MS);
  return new Promise<string>((resolvePath, reject) => {
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
      reject(
        new Error(
          `scripts/${script} did not finish within ${seconds(limit)} (TOOL_BUILD_TIMEOUT_MS); raise the limit. Last ` +
            `output:\n${tail.join('\n')}`,
        ),
      );
    }, limit);
    child.once('error', (error) => reject(new Error(`cannot run scripts/${script}: ${error.message}`)));
    child.once('close', (code) => {
      clearTimeout(timer);
      clearInterval(progress);
      if (code !== 0) reject(new Error(`scripts/${script} failed (exit ${code}):\n${tail.join('\n')}`));
      else resolvePath(stdout.trim().split('\n').pop() ?? '');
    });
  });
}

/**
 * Finds or builds a test server binary with `scripts/<script>` and puts its path in
 * `process.env[envVar]`, which the test workers inherit and `binaryFrom()` reads first.
 */
export async function provideBinary(script: string, envVar: string, label: string): Promise<void> {
  const path = await runToolScript(script, label);
  if (!path) throw new Error(`scripts/${script} printed no binary path`);
  process.env[envVar] = path;
}
