import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { alive } from './server-process';

const ROOT = resolve(__dirname, '..', '..');
/** A cold build takes 6–9 minutes on 2 cores; the limit leaves room for a busy machine. */
const DEFAULT_LIMIT_MS = 30 * 60_000;
const PROGRESS_EVERY_MS = 30_000;

declare module 'vitest' {
  export interface ProvidedContext {
    /** Path of the Consul agent binary the integration tests start. */
    consulBin: string;
    /** Directory where startConsul() records the PID of each agent it runs (see teardown). */
    consulRunDir: string;
  }
}

const log = (message: string) => console.log(`[consul agent] ${message}`);
const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

/**
 * Finds or builds the Consul agent before any test file runs, with its own limit
 * (`CONSUL_BUILD_TIMEOUT_MS`, default 30 min) and a progress line every 30 s, instead of
 * inside a test hook whose limit a cold build overruns.
 */
function locateConsul(limitMs: number): Promise<string> {
  const started = performance.now();
  // Own process group, so the limit can end the script and the go build under it.
  const child = spawn('bash', [join(ROOT, 'scripts', 'consul-agent.sh')], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let building = false;
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
      if (line.startsWith('consul-agent.sh: ')) {
        building ||= line.includes('building');
        log(line.slice('consul-agent.sh: '.length));
      } else if (building && /^[\w.-]+(\/[\w.@~-]+)+$/.test(line.trim())) {
        compiled++; // `go build -v` names each package it compiles
      }
    }
  });
  const progress = setInterval(() => {
    if (building) log(`still building after ${seconds(performance.now() - started)}: ${compiled} Go packages compiled so far`);
  }, PROGRESS_EVERY_MS);
  return new Promise<string>((resolvePath, reject) => {
    const limit = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
      reject(
        new Error(
          `the Consul agent was neither found nor built within ${seconds(limitMs)} (CONSUL_BUILD_TIMEOUT_MS); ` +
            `raise the limit, or set CONSUL_BIN to a consul binary. Last output:\n${tail.join('\n')}`,
        ),
      );
    }, limitMs);
    child.once('error', (error) => reject(new Error(`cannot run scripts/consul-agent.sh: ${error.message}`)));
    child.once('close', (code) => {
      clearTimeout(limit);
      clearInterval(progress);
      const path = stdout.trim().split('\n').pop();
      if (code !== 0 || !path) {
        reject(new Error(`scripts/consul-agent.sh failed (exit ${code}):\n${tail.join('\n')}`));
        return;
      }
      resolvePath(path);
    });
  });
}

/** Whether `pid` still runs `binary` (not a process that reused the PID). */
function runs(pid: number, binary: string): boolean {
  try {
    if (existsSync('/proc')) return readlinkSync(`/proc/${pid}/exe`) === realpathSync(binary);
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const RUN_DIR_PREFIX = 'nestjs-graceful-consul-';

/** Kills the agents recorded in `runDir` that still run, then removes it. */
function endRecordedAgents(runDir: string, binary: string, why: string): void {
  for (const name of readdirSync(runDir)) {
    const pid = Number(name);
    if (!runs(pid, binary)) continue;
    try {
      process.kill(pid, 'SIGCONT');
      process.kill(pid, 'SIGKILL');
      log(`killed agent ${pid}, ${why}`);
    } catch {
      // gone meanwhile
    }
  }
  rmSync(runDir, { recursive: true, force: true });
}

export default async function setup(project: TestProject): Promise<() => void> {
  const limitMs = Number(process.env.CONSUL_BUILD_TIMEOUT_MS ?? DEFAULT_LIMIT_MS);
  if (!Number.isInteger(limitMs) || limitMs <= 0) {
    throw new Error(`CONSUL_BUILD_TIMEOUT_MS is ${process.env.CONSUL_BUILD_TIMEOUT_MS}; it must be a whole number of milliseconds above 0`);
  }
  const binary = await locateConsul(limitMs);
  // A run that crashed skipped its teardown: its directory names its vitest PID, now dead.
  for (const name of readdirSync(tmpdir())) {
    const owner = new RegExp(`^${RUN_DIR_PREFIX}(\\d+)-`).exec(name)?.[1];
    if (owner && !alive(Number(owner))) endRecordedAgents(join(tmpdir(), name), binary, `left running by a crashed test run (${owner})`);
  }
  const runDir = mkdtempSync(join(tmpdir(), `${RUN_DIR_PREFIX}${process.pid}-`));
  project.provide('consulBin', binary);
  project.provide('consulRunDir', runDir);
  // An agent still running at the teardown belongs to a test worker that died before stopping it.
  return () => endRecordedAgents(runDir, binary, 'left running by a test worker');
}
