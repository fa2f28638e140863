import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';

const ROOT = resolve(__dirname, '..', '..');
const BIN = join(ROOT, 'node_modules', '.bin');
const ENTRIES = ['', 'registry/consul/', 'health/', 'testing/', 'discovery/'];
const TOP_LEVEL = ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md'];

describe('the packed tarball', () => {
  const tarball = inject('tarball');
  const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((f) => f.replace(/^package\//, ''));

  it('holds both builds with their format markers and types, the licence, the changelog, and nothing else', () => {
    const expected = [...TOP_LEVEL, 'dist/cjs/package.json', 'dist/esm/package.json'];
    for (const format of ['cjs', 'esm']) {
      for (const entry of ENTRIES)
        expected.push(`dist/${format}/${entry}index.js`, `dist/${format}/${entry}index.d.ts`);
    }
    expect(files).toEqual(expect.arrayContaining(expected));
    expect(files.filter((f) => !f.startsWith('dist/') && !TOP_LEVEL.includes(f))).toEqual([]);
    expect(files.filter((f) => /\.(tsbuildinfo|map|ts)$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
    const tree = (format: string) =>
      files
        .filter((f) => f.startsWith(`dist/${format}/`))
        .map((f) => f.slice(9))
        .sort();
    expect(tree('esm')).toEqual(tree('cjs'));
  });

  it(
    'has types that resolve for every entry, from CommonJS and ESM, under node10, node16 and bundler resolution ' +
      '(attw)',
    () => {
      const attw = spawnSync(join(BIN, 'attw'), ['--format', 'json', tarball], { encoding: 'utf8' });
      expect(attw.status, attw.stdout + attw.stderr).toBe(0);
      expect((JSON.parse(attw.stdout) as { problems: object }).problems).toEqual({});
    },
  );

  it('passes publint without a suggestion', () => {
    const publint = spawnSync(join(BIN, 'publint'), ['run', tarball, '--level', 'suggestion', '--strict'], {
      encoding: 'utf8',
    });
    expect(publint.status, publint.stdout + publint.stderr).toBe(0);
    expect(publint.stdout).not.toMatch(/Suggestion|Warning|Error/);
  });
});

describe('the installed package', () => {
  let dir: string;
  /** Runs an ES module in `dir`, where node_modules holds the unpacked tarball and the repo's own dependencies. */
  const node = (code: string) =>
    spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: dir, encoding: 'utf8' });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nestjs-graceful-installed-'));
    const modules = join(dir, 'node_modules');
    mkdirSync(join(modules, 'nestjs-graceful'), { recursive: true });
    execFileSync('tar', ['-xzf', inject('tarball'), '-C', join(modules, 'nestjs-graceful'), '--strip-components=1']);
    for (const name of readdirSync(join(ROOT, 'node_modules'))) {
      if (name !== '.bin' && name !== '.package-lock.json')
        symlinkSync(join(ROOT, 'node_modules', name), join(modules, name));
    }
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives require() the CommonJS copy and import the ESM copy of each entry', () => {
    const result = node(`
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const out = {};
      for (const sub of ['', '/consul', '/health', '/testing', '/discovery']) {
        const entry = 'nestjs-graceful' + sub;
        const files = [require.resolve(entry), import.meta.resolve(entry)];
        out[entry] = files.map((p) => p.replace(/^.*nestjs-graceful\\//, ''));
      }
      console.log(JSON.stringify(out));`);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({
      'nestjs-graceful': ['dist/cjs/index.js', 'dist/esm/index.js'],
      'nestjs-graceful/consul': ['dist/cjs/registry/consul/index.js', 'dist/esm/registry/consul/index.js'],
      'nestjs-graceful/health': ['dist/cjs/health/index.js', 'dist/esm/health/index.js'],
      'nestjs-graceful/testing': ['dist/cjs/testing/index.js', 'dist/esm/testing/index.js'],
      'nestjs-graceful/discovery': ['dist/cjs/discovery/index.js', 'dist/esm/discovery/index.js'],
    });
  });

  // Each entry in a fresh process: every file Node loads, by require() or import, passes the load hook (Node 22.15+).
  it.each([
    ['nestjs-graceful', 'require', []],
    ['nestjs-graceful', 'import', []],
    ['nestjs-graceful/consul', 'require', ['consul', 'papi']],
    ['nestjs-graceful/consul', 'import', ['consul', 'papi']],
    ['nestjs-graceful/health', 'require', ['@nestjs/terminus']],
    ['nestjs-graceful/health', 'import', ['@nestjs/terminus']],
    ['nestjs-graceful/testing', 'require', []],
    ['nestjs-graceful/testing', 'import', []],
    ['nestjs-graceful/discovery', 'require', ['undici']],
    ['nestjs-graceful/discovery', 'import', ['undici']],
  ])('%s through %s loads exactly these of consul, Terminus and undici: %j', (entry, how, peers) => {
    const result = node(`
      import { createRequire, registerHooks } from 'node:module';
      const loaded = new Set();
      registerHooks({ load(url, context, nextLoad) { loaded.add(url); return nextLoad(url, context); } });
      ${how === 'require' ? 'createRequire(import.meta.url)' : 'await import'}(${JSON.stringify(entry)});
      const isLoaded = (name) => [...loaded].some((url) => url.includes('/node_modules/' + name + '/'));
      const peers = ['consul', 'papi', '@nestjs/terminus', 'undici'].filter(isLoaded);
      console.log(JSON.stringify(peers));`);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual(peers);
  });

  it('refuses deep imports of dist/ files', () => {
    const result = node(`
      import { createRequire } from 'node:module';
      const codes = [];
      try { createRequire(import.meta.url)('nestjs-graceful/dist/cjs/index.js'); } catch (e) { codes.push(e.code); }
      const deep = 'nestjs-graceful/dist/esm/lifecycle/graceful-lifecycle.js';
      try { await import(deep); } catch (e) { codes.push(e.code); }
      console.log(JSON.stringify(codes));`);
    expect(JSON.parse(result.stdout)).toEqual(['ERR_PACKAGE_PATH_NOT_EXPORTED', 'ERR_PACKAGE_PATH_NOT_EXPORTED']);
  });
});
