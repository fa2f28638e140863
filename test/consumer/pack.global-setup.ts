import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';

const ROOT = resolve(__dirname, '..', '..');

declare module 'vitest' {
  export interface ProvidedContext {
    /** The package as `npm pack` made it from this checkout (its prepack builds dist/). */
    tarball: string;
  }
}

/** Packs the library once for every consumer test, as `npm publish` would. */
export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'nestjs-graceful-pack-'));
  const started = performance.now();
  console.log('[pack] npm pack: prepack builds dist/ (CommonJS and ESM)');
  execFileSync('npm', ['pack', '--pack-destination', dir, '--loglevel=warn'], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const tarball = readdirSync(dir).find((name) => name.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack wrote no .tgz into ${dir}`);
  console.log(`[pack] ${tarball} in ${Math.round((performance.now() - started) / 1000)} s`);
  project.provide('tarball', join(dir, tarball));
  return () => rmSync(dir, { recursive: true, force: true });
}
