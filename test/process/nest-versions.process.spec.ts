import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { get } from '../support/http-client';
import { spawnApp, spawnFixture, type SpawnedApp } from '../support/spawn-app';
import type { Platform } from '../support/test-app';

const ROOT = join(__dirname, '..', '..');
const NEST11 = join(ROOT, 'test', 'nest11');

const running = new Set<SpawnedApp>();
afterEach(() => {
  for (const app of running) app.kill('SIGKILL');
  running.clear();
});

/**
 * 100 slow requests in flight at a real SIGTERM: all answered 200, and the stand-in
 * pool's onModuleDestroy ran after the last query. Returns the process's exit.
 */
async function hundredInFlight(app: SpawnedApp) {
  running.add(app);
  const replies = Array.from({ length: 100 }, () => get(app.port, '/slow?ms=1000'));
  await app.waitForLine(/^EVENT entered 100$/, 5_000);
  app.kill('SIGTERM');
  const results = await Promise.all(replies);
  const exit = await app.exited;
  expect(results.filter((r) => r.status !== 200)).toEqual([]);
  const closed = /EVENT db-closed queries=(\d+) msAfterLastQuery=([\d.]+)/.exec(app.output());
  expect(closed?.[1]).toBe('100');
  expect(app.output()).toMatch(/stop report \{.*"exitCode":0/);
  return exit;
}

describe('Nest 11', () => {
  beforeAll(() => {
    if (!existsSync(join(NEST11, 'node_modules', '@nestjs', 'core'))) {
      throw new Error('Nest 11 is not installed for the tests: run `npm ci --prefix test/nest11` (.ci/run does).');
    }
    // The compiled library and fixtures, next to Nest 11's node_modules so they resolve Nest 11.
    rmSync(join(NEST11, 'build'), { recursive: true, force: true });
    for (const dir of ['src', 'test/support', 'test/fixtures']) {
      cpSync(join(ROOT, 'build', dir), join(NEST11, 'build', dir), { recursive: true });
    }
  });

  it.each<Platform>(['express', 'fastify'])('drains 100 in-flight requests before teardown on %s', async (platform) => {
    const app = await spawnFixture({ platform, options: {} }, { root: NEST11 });
    const expected = (
      JSON.parse(readFileSync(join(NEST11, 'node_modules/@nestjs/core/package.json'), 'utf8')) as { version: string }
    ).version;
    expect(expected).toMatch(/^11\./);
    expect(app.output()).toContain(`NEST_VERSION ${expected}`);
    expect((await hundredInFlight(app)).code).toBe(0);
  });

  it('refuses to start when enableShutdownHooks() would tear down before the drain', async () => {
    const failed = spawnFixture({ platform: 'express', options: {}, nestShutdownHooks: true }, { root: NEST11 });
    await expect(failed).rejects.toThrow(
      /on Nest 11, onModuleDestroy before the drain.*Remove app\.enableShutdownHooks\(\)/,
    );
  });

  it('refuses to start without enableGracefulShutdown(app), naming the line to add', async () => {
    const failed = spawnFixture({ platform: 'express', options: {}, attach: false }, { root: NEST11 });
    await expect(failed).rejects.toThrow(/Add `enableGracefulShutdown\(app\)` right after NestFactory.create\(\)/);
  });

  it(
    'an onModuleDestroy that throws fails the teardown phase, ' + 'and the rest of the teardown still runs; exit 1',
    async () => {
      const app = await spawnApp(
        'test/fixtures/apps.js',
        { FIXTURE: JSON.stringify({ apps: [{ name: 'svc', destroyThrows: true }] }) },
        { root: NEST11 },
      );
      running.add(app);
      expect(app.output()).toMatch(/NEST_VERSION 11\./);
      app.kill('SIGTERM');
      const { code } = await app.exited;
      const teardown = /"phase":"teardown","ms":\d+,"ok":false,"error":"([^"]*)"/.exec(app.output());
      expect(teardown?.[1]).toBe('ThrowingDestroy.onModuleDestroy() failed: cache refused to flush');
      // Nest 11 alone stops its teardown at the error: no onApplicationShutdown, no server close.
      expect(app.output()).toContain('EVENT shutdown-hook-ran');
      expect(code).toBe(1);
    },
  );
});

describe('Nest 12 without enableGracefulShutdown(app)', () => {
  const addTheLine =
    /GracefulModule is imported but enableGracefulShutdown\(app\) was not called.*Add `enableGracefulShutdown/;

  it.each<Platform>(['express', 'fastify'])(
    'refuses to start with no shutdown hooks at all, naming the line to add (%s)',
    async (platform) => {
      await expect(spawnFixture({ platform, options: {}, attach: false })).rejects.toThrow(addTheLine);
    },
  );

  it.each<Platform>(['express', 'fastify'])(
    "refuses to start with Nest's own enableShutdownHooks() only, naming the line to add (%s)",
    async (platform) => {
      await expect(spawnFixture({ platform, options: {}, attach: false, nestShutdownHooks: true })).rejects.toThrow(
        addTheLine,
      );
    },
  );

  it(
    "refuses to start with enableShutdownHooks() next to enableGracefulShutdown(app): Nest's handler would decide " +
      'the exit',
    async () => {
      const failed = spawnFixture({ platform: 'express', options: {}, nestShutdownHooks: true });
      await expect(failed).rejects.toThrow(
        /Remove app\.enableShutdownHooks\(\): enableGracefulShutdown\(app\) already handles the stop signals/,
      );
    },
  );
});
