import { Logger } from '@nestjs/common';
import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_OPTIONS, type ResolvedGracefulOptions } from '../../src';
import { DEFAULT_HEALTH_PATHS, type GracefulHealthOptions } from '../../src/health';
import { checkHealthOptions } from '../../src/health/health-options';

/** The resolved options; fails the test on any problem. */
function validateHealthOptions(options: GracefulHealthOptions | undefined) {
  const { options: resolved, problems } = checkHealthOptions(options);
  expect(problems).toEqual([]);
  return resolved!;
}
import { TerminusShutdownWait } from '../../src/health/terminus-shutdown-wait';

describe('GracefulHealthModule.forRoot() options', () => {
  it('defaults to the controller at health/ready and health/live, key lifecycle', () => {
    expect(validateHealthOptions(undefined)).toEqual({
      controller: { readyPath: 'health/ready', livePath: 'health/live' },
      key: 'lifecycle',
    });
    expect(validateHealthOptions({ controller: true })).toEqual(validateHealthOptions({}));
  });

  it('takes paths, one or both, and false for no controller', () => {
    expect(validateHealthOptions({ controller: { readyPath: '/readyz' } }).controller).toEqual({
      readyPath: '/readyz',
      livePath: 'health/live',
    });
    expect(validateHealthOptions({ controller: false, key: 'app' })).toEqual({ controller: false, key: 'app' });
  });

  it.each([
    [
      { controller: 'yes' },
      'option "controller" of GracefulHealthModule.forRoot() is "yes"; it must be true, false or { readyPath?, ' +
        'livePath? }',
    ],
    [
      { controller: { readyPath: 'ready now' } },
      'option "controller.readyPath" of GracefulHealthModule.forRoot() is "ready now"; it must be a URL path such as ' +
        '"health/ready"',
    ],
    [
      { controller: { livePath: 42 } },
      'option "controller.livePath" of GracefulHealthModule.forRoot() is 42; it must be a URL path',
    ],
    [
      { controller: { readyPath: '/h', livePath: 'h/' } },
      'option "controller.livePath" of GracefulHealthModule.forRoot() is "h/"; it must be another path than ' +
        'controller.readyPath ("/h")',
    ],
    [
      { controller: { ready: 'x' } },
      'unknown option "controller.ready" of GracefulHealthModule.forRoot(); did you mean "controller.readyPath"? the ' +
        'options of "controller" are: readyPath, livePath',
    ],
    [{ key: '' }, 'option "key" of GracefulHealthModule.forRoot() is ""; it must be a non-empty string'],
    [
      { readyPath: 'x' },
      'unknown option "readyPath" of GracefulHealthModule.forRoot(); the options are: controller, key',
    ],
    ['fast', 'the options of GracefulHealthModule.forRoot() are "fast"; they must be an object'],
  ])('rejects %j naming the option, the value and what is allowed', (options, message) => {
    const { options: resolved, problems } = checkHealthOptions(options as never);
    expect(resolved).toBeUndefined();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
  });

  it('lists every problem at once', () => {
    const { problems } = checkHealthOptions({
      key: 1,
      controller: { readyPath: 'a b', livePath: 2 },
      paths: {},
    } as never);
    expect(problems).toHaveLength(4);
  });

  it('freezes the default paths', () => {
    expect(Object.isFrozen(DEFAULT_HEALTH_PATHS)).toBe(true);
    expect(validateHealthOptions({}).controller).not.toBe(DEFAULT_HEALTH_PATHS);
  });
});

describe('TerminusShutdownWait', () => {
  const resolved = (shutdownDelay: number) =>
    ({ ...DEFAULT_OPTIONS, shutdownDelay }) as unknown as ResolvedGracefulOptions;
  const moduleRef = (found: unknown[] | Error) => ({
    get: vi.fn(() => {
      if (found instanceof Error) throw found;
      return found;
    }),
  });

  it('does nothing without Terminus', () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const options = resolved(0);
    new TerminusShutdownWait(moduleRef(new Error('unknown')) as never, options).onApplicationBootstrap();
    new TerminusShutdownWait(moduleRef([{}, { logger: false }]) as never, options).onApplicationBootstrap();
    expect(options.shutdownDelay).toBe(0);
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
  });

  it('sets Terminus wait to 0 and raises a shorter shutdownDelay to it', () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const terminus = { gracefulShutdownTimeoutMs: 3_000 };
    const options = resolved(1_000);
    new TerminusShutdownWait(
      moduleRef([terminus, { gracefulShutdownTimeoutMs: 0 }]) as never,
      options,
    ).onApplicationBootstrap();
    expect(terminus.gracefulShutdownTimeoutMs).toBe(0);
    expect(options.shutdownDelay).toBe(3_000);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('raised shutdownDelay from 1000 to 3000 ms'));
    warn.mockRestore();
  });

  it('keeps a longer shutdownDelay', () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const terminus = { gracefulShutdownTimeoutMs: 500 };
    const options = resolved(2_000);
    new TerminusShutdownWait(moduleRef([terminus]) as never, options).onApplicationBootstrap();
    expect(terminus.gracefulShutdownTimeoutMs).toBe(0);
    expect(options.shutdownDelay).toBe(2_000);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('shutdownDelay (2000 ms) already keeps serving'));
    warn.mockRestore();
  });

  it('says so when Terminus options are frozen, and changes nothing', () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const options = resolved(0);
    new TerminusShutdownWait(
      moduleRef([Object.freeze({ gracefulShutdownTimeoutMs: 500 })]) as never,
      options,
    ).onApplicationBootstrap();
    expect(options.shutdownDelay).toBe(0);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('could not be set to 0'));
    warn.mockRestore();
  });
});
