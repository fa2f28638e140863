// Builds the package into dist/: one CommonJS and one ESM copy of src/, each with its own
// .d.ts, behind package.json's `exports` (`require` → dist/cjs, `import` → dist/esm).
//
// tsc twice, on purpose: tsc is the only compiler that both emits the decorator metadata Nest's
// dependency injection reads and writes declarations from the same type-checked program.
// Each copy gets a package.json naming its format, so Node (and TypeScript reading the .d.ts)
// treats dist/cjs as CommonJS and dist/esm as ESM whatever the root package.json says.
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

rmSync(join(root, 'dist'), { recursive: true, force: true });
for (const [format, type] of [
  ['cjs', 'commonjs'],
  ['esm', 'module'],
]) {
  const started = performance.now();
  execFileSync(process.execPath, [tsc, '-p', join(root, `tsconfig.build-${format}.json`)], { cwd: root, stdio: 'inherit' });
  writeFileSync(join(root, 'dist', format, 'package.json'), `${JSON.stringify({ type })}\n`);
  console.log(`build: dist/${format} (${type}) in ${Math.round(performance.now() - started)} ms`);
}
