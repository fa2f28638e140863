// Installs the dependencies (`npm ci`) of the library and of test/nest11 when they are missing or
// older than package-lock.json, so that `npm test` and `npm run sample` work on a fresh clone. The
// lock file's hash is kept in node_modules: an unchanged lock costs one read, not an `npm ci`.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const MARK = '.nestjs-graceful-lock-hash';

/** `npm ci` in `dir` unless its node_modules was installed from this very lock file. */
function ensure(dir) {
  const lock = join(dir, 'package-lock.json');
  const hash = createHash('sha256').update(readFileSync(lock)).digest('hex');
  const mark = join(dir, 'node_modules', MARK);
  if (existsSync(mark) && readFileSync(mark, 'utf8') === hash) return;
  const started = performance.now();
  console.log(
    `ensure-deps: npm ci in ${dir === root ? '.' : dir.slice(root.length + 1)} (lock file changed or never installed)`,
  );
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`ensure-deps: npm ci failed in ${dir} (exit ${result.status}); fix the error above and run it again`);
    process.exit(1);
  }
  writeFileSync(mark, hash);
  console.log(`ensure-deps: installed in ${Math.round(performance.now() - started)} ms`);
}

const which = process.argv.slice(2);
if (which.length === 0 || which.includes('lib')) ensure(root);
if (which.includes('nest11')) ensure(join(root, 'test', 'nest11'));
