import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';

const APPS = join(__dirname, 'apps');

/** The consumer apps under test/consumer/apps/, each completed with files from apps/shared/. */
export type ConsumerName =
  'nest11-cjs-jest' | 'nest12-esm-vitest' | 'nest12-esm-jest' | 'nest12-cli-esm-vitest' | 'nest12-cli-cjs-jest';

const SHARED: Record<ConsumerName, string[]> = {
  // As `nest new` generated them; the test writes the README's files into them (readme-recipe.ts).
  'nest12-cli-esm-vitest': [],
  'nest12-cli-cjs-jest': [],
  'nest11-cjs-jest': ['src/main.ts', 'src/slow.controller.ts', 'test/app.e2e-spec.ts', 'test/consul.e2e-spec.ts'],
  'nest12-esm-vitest': [
    'src/main.ts',
    'src/slow.controller.ts',
    'src/graceful-from-config.ts',
    'test/app.e2e-spec.ts',
    'test/create-testing-app.ts',
  ],
  'nest12-esm-jest': [
    'src/main.ts',
    'src/slow.controller.ts',
    'src/graceful-from-config.ts',
    'test/app.e2e-spec.ts',
    'test/consul.e2e-spec.ts',
    'test/create-testing-app.ts',
  ],
};

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

export interface ConsumerApp {
  readonly name: ConsumerName;
  /** The generated app, in a temporary directory. */
  readonly dir: string;
  /** Runs a command in the app (npm and its scripts run the `node` on PATH); resolves once it has exited. */
  run(command: string, args: string[], env?: Record<string, string>): Promise<CommandResult>;
  /** Removes the app (kept when KEEP_CONSUMERS=1, to look into a failure). */
  remove(): void;
}

const log = (name: string, message: string) => console.log(`[consumer ${name}] ${message}`);

/** Process groups of the commands still running. */
const running = new Set<number>();

function run(dir: string, command: string, args: string[], env: Record<string, string> = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: dir,
      env: { ...process.env, ...env, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: npm runs the command under a shell, and Jest and Vitest start workers.
      detached: true,
    });
    running.add(child.pid!);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      running.delete(child.pid!);
      resolve({ code, signal, output });
    });
  });
}

/** Ends every command of the consumer apps still running (a test that timed out leaves its command). */
export function endConsumerCommands(): void {
  for (const group of running) {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
}

/** Runs a setup step, logs its duration, and throws with its output when it fails. */
async function step(name: string, what: string, command: Promise<CommandResult>): Promise<void> {
  const started = performance.now();
  const result = await command;
  if (result.code !== 0)
    throw new Error(`${name}: ${what} failed (exit ${result.code ?? result.signal}):\n${result.output}`);
  log(name, `${what} in ${Math.round((performance.now() - started) / 1000)} s`);
}

/**
 * Generates the app in a temporary directory, installs its locked dependencies and then the
 * packed nestjs-graceful tarball (from the consumer project's global setup), as a user would.
 */
export async function generateConsumer(name: ConsumerName): Promise<ConsumerApp> {
  const dir = mkdtempSync(join(tmpdir(), `nestjs-graceful-${name}-`));
  cpSync(join(APPS, name), dir, { recursive: true });
  for (const file of SHARED[name]) cpSync(join(APPS, 'shared', file), join(dir, file));
  log(name, `generated in ${dir}`);
  const npm = (...args: string[]) => run(dir, 'npm', [...args, '--no-audit', '--no-fund', '--prefer-offline']);
  await step(name, 'npm ci (locked dependencies)', npm('ci'));
  await step(name, 'npm install of the packed tarball', npm('install', '--no-save', inject('tarball')));
  return {
    name,
    dir,
    run: (command, args, env) => run(dir, command, args, env),
    remove: () => {
      if (process.env.KEEP_CONSUMERS === '1') log(name, `kept in ${dir}`);
      else if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    },
  };
}
