import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const BUILT_ENTRY = join(__dirname, '..', '..', 'build', 'src', 'health', 'index.js');

/**
 * The compiled CommonJS entry `nestjs-graceful/health` in an app without `@nestjs/terminus`
 * (made unresolvable by a preload, as if it were not installed): the error says what to install.
 */
describe('nestjs-graceful/health without @nestjs/terminus installed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'no-terminus-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const load = (hidden: string[]) => {
    const hook = join(dir, `hide-${hidden.length}.js`);
    writeFileSync(
      hook,
      `const Module = require('node:module');
const resolve = Module._resolveFilename;
const hidden = ${JSON.stringify(hidden)};
Module._resolveFilename = function (request, ...rest) {
  const missing = () => Object.assign(new Error("Cannot find module '" + request + "'"), { code: 'MODULE_NOT_FOUND' });
  if (hidden.includes(request)) throw missing();
  return resolve.call(this, request, ...rest);
};`,
    );
    return spawnSync(process.execPath, ['-r', hook, '-e', `require(${JSON.stringify(BUILT_ENTRY)})`], {
      encoding: 'utf8',
    });
  };

  it('fails saying to run npm install @nestjs/terminus', () => {
    const result = load(['@nestjs/terminus']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(
      'nestjs-graceful/health needs `@nestjs/terminus`, an optional peer dependency that is not installed: run `npm ' +
        'install @nestjs/terminus`',
    );
  });

  it('loads when it is installed', () => {
    const result = load([]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
