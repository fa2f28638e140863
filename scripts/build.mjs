// Builds the package into dist/: one CommonJS and one ESM copy of src/, each with its own
// .d.ts, behind package.json's `exports` (`require` → dist/cjs, `import` → dist/esm).
//
// tsc twice, on purpose: tsc is the only compiler that both emits the decorator metadata Nest's
// dependency injection reads and writes declarations from the same type-checked program.
// Each copy gets a package.json naming its format, so Node (and TypeScript reading the .d.ts)
// treats dist/cjs as CommonJS and dist/esm as ESM whatever the root package.json says.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/**
 * tsc copies import specifiers as written, and Node's ESM loader (and TypeScript reading the
 * ESM .d.ts) needs the file named: `./x.js`, `./dir/index.js`. src/ is CommonJS to tsc, which
 * would accept `./x`, so this check is what catches a missing extension.
 */
function bareRelativeImports(dir) {
  const found = [];
  for (const entry of readdirSync(dir, { recursive: true })) {
    if (!/\.(js|d\.ts)$/.test(entry)) continue;
    const file = join(dir, entry);
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        for (const [, specifier] of line.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]*)['"]/g)) {
          if (!/\.(js|json)$/.test(specifier)) found.push(`${relative(root, file)}:${i + 1}: '${specifier}'`);
        }
      });
  }
  return found;
}

rmSync(join(root, 'dist'), { recursive: true, force: true });
for (const [format, type] of [
  ['cjs', 'commonjs'],
  ['esm', 'module'],
]) {
  const started = performance.now();
  execFileSync(process.execPath, [tsc, '-p', join(root, `tsconfig.build-${format}.json`)], {
    cwd: root,
    stdio: 'inherit',
  });
  writeFileSync(join(root, 'dist', format, 'package.json'), `${JSON.stringify({ type })}\n`);
  console.log(`build: dist/${format} (${type}) in ${Math.round(performance.now() - started)} ms`);
}
const bare = bareRelativeImports(join(root, 'dist', 'esm'));
if (bare.length > 0) {
  console.error(
    `build: ${bare.length} relative import(s) without a file extension, which Node cannot load as ESM; ` +
      `write the .js file in src/ (e.g. './graceful.module.js', './health/index.js'):\n  ${bare.join('\n  ')}`,
  );
  process.exit(1);
}
