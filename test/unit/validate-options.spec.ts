import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, type GracefulOptions } from '../../src/graceful-options';
import type { Registrar } from '../../src/registry/registrar.interface';
import { GracefulOptionsError, validateOptions } from '../../src/validate-options';

const registrar: Registrar = { register: async () => undefined, deregister: async () => undefined };

/** The problems `validateOptions` throws for these options (fails the test when it does not throw). */
function problemsOf(options: unknown): string[] {
  try {
    validateOptions(options as GracefulOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(GracefulOptionsError);
    return (error as GracefulOptionsError).problems;
  }
  throw new Error(`validateOptions(${JSON.stringify(options)}) did not throw`);
}

describe('validateOptions()', () => {
  it('fills every default for no options or empty options', () => {
    const expected = { ...DEFAULT_OPTIONS, beforeStart: [], afterStart: [], beforeStop: [], afterStop: [] };
    expect(validateOptions(undefined)).toEqual(expected);
    expect(validateOptions({})).toEqual(expected);
  });

  it('documents the defaults of LIFECYCLE.md', () => {
    const o = validateOptions({});
    expect(o.signals).toEqual(['SIGTERM', 'SIGINT']);
    expect(o.registrarTimeout).toBe(5_000);
    expect(o.shutdownDelay).toBe(0);
    expect(o.stopTimeout).toBe(10_000);
    expect(o.teardownTimeout).toBe(10_000);
    expect(o.hookTimeout).toBe(5_000);
    expect(o.gracePeriod).toBe(30_000);
    expect(o.forceExitOnSecondSignal).toBe(true);
    expect(o.exit).toBe(true);
    expect(o.id).toBeUndefined();
    expect(o.registrar).toBeUndefined();
  });

  it('keeps given values and treats undefined as not given', () => {
    const o = validateOptions({ stopTimeout: 2_500, exit: false, signals: ['SIGHUP'], name: 'svc', shutdownDelay: undefined, registrar });
    expect(o).toMatchObject({ stopTimeout: 2_500, exit: false, signals: ['SIGHUP'], name: 'svc', shutdownDelay: 0 });
    expect(o.registrar).toBe(registrar);
  });

  it('accepts the edges of each range', () => {
    expect(() =>
      validateOptions({
        stopTimeout: 0,
        shutdownDelay: 2_147_483_647,
        registrarTimeout: 1,
        signals: [],
        endpoints: ['http://10.0.0.5:3000', 'grpc://[::1]:5000'],
        metadata: { zone: 'a' },
        consul: {},
      }),
    ).not.toThrow();
  });

  it.each<[string, GracefulOptions | unknown, string]>([
    ['a negative duration', { stopTimeout: -1 }, 'option "stopTimeout" is -1; it must be a whole number of milliseconds from 0 to 2147483647'],
    ['a non-integer duration', { shutdownDelay: 1.5 }, 'option "shutdownDelay" is 1.5; it must be a whole number of milliseconds from 0 to 2147483647'],
    ['a duration as a string', { stopTimeout: '10s' }, 'option "stopTimeout" is "10s"; it must be a whole number of milliseconds from 0 to 2147483647'],
    ['a duration past setTimeout\'s range', { teardownTimeout: 2_147_483_648 }, 'option "teardownTimeout" is 2147483648; it must be a whole number of milliseconds from 1 to 2147483647'],
    ['a zero positive duration', { registrarTimeout: 0 }, 'option "registrarTimeout" is 0; it must be a whole number of milliseconds from 1 to 2147483647'],
    ['a wrong type for exit', { exit: 'false' }, 'option "exit" is "false"; it must be true or false'],
    ['a number for forceExitOnSecondSignal', { forceExitOnSecondSignal: 1 }, 'option "forceExitOnSecondSignal" is 1; it must be true or false'],
    ['SIGKILL in signals', { signals: ['SIGTERM', 'SIGKILL'] }, 'option "signals" is ["SIGTERM","SIGKILL"]; it must be an array of signal names such as ["SIGTERM", "SIGINT"] (SIGKILL and SIGSTOP cannot be caught)'],
    ['SIGSTOP in signals', { signals: ['SIGSTOP'] }, 'option "signals" is ["SIGSTOP"]; it must be an array of signal names'],
    ['a lower-case signal', { signals: ['sigterm'] }, 'option "signals" is ["sigterm"]; it must be an array of signal names'],
    ['a single signal, not an array', { signals: 'SIGTERM' }, 'option "signals" is "SIGTERM"; it must be an array of signal names'],
    ['a bad endpoint URL', { endpoints: ['http://10.0.0.5:3000', 'not a url'] }, 'option "endpoints" is ["http://10.0.0.5:3000","not a url"]; it must be an array of URLs such as "http://10.0.0.5:3000"'],
    ['an empty name', { name: '  ' }, 'option "name" is "  "; it must be a non-empty string'],
    ['metadata with a number', { metadata: { replicas: 3 } }, 'option "metadata" is {"replicas":3}; it must be an object whose values are strings'],
    ['a hook that is not a function', { beforeStop: 'drain' }, 'option "beforeStop" is "drain"; it must be a function or an array of functions'],
    ['an array with a non-function hook', { afterStop: [() => undefined, 1] }, '; it must be a function or an array of functions'],
    ['a registrar without methods', { registrar: {} }, 'option "registrar" is {}; it must be an object with register(instance, signal) and deregister(instance, signal) methods'],
    ['a registrar without deregister', { registrar: { register: () => undefined } }, 'it must be an object with register(instance, signal) and deregister(instance, signal) methods'],
    ['consul as a string', { consul: 'http://127.0.0.1:8500' }, 'option "consul" is "http://127.0.0.1:8500"; it must be an object of Consul options (see README)'],
    ['the unknown option "stopTimout"', { stopTimout: 5_000 }, 'unknown option "stopTimout"; the options are: id, name, version,'],
    ['registrar and consul together', { registrar, consul: {} }, 'options "registrar" and "consul" are both set; give one: "consul" builds a ConsulRegistrar, "registrar" takes your own'],
    ['registerRetryMaxDelay below registerRetryDelay', { registerRetryDelay: 2_000, registerRetryMaxDelay: 1_000 }, 'option "registerRetryMaxDelay" is 1000; it must be at least registerRetryDelay (2000)'],
    ['registerRetryMaxDelay below the default registerRetryDelay', { registerRetryMaxDelay: 500 }, 'option "registerRetryMaxDelay" is 500; it must be at least registerRetryDelay (1000)'],
  ])('rejects %s, naming the option, the value and what is allowed', (_, options, message) => {
    const problems = problemsOf(options);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
    expect(() => validateOptions(options as GracefulOptions)).toThrow(message);
  });

  it('lists the known options after an unknown one, the misspelt one among them', () => {
    const [problem] = problemsOf({ stopTimout: 5_000 });
    expect(problem).toContain('stopTimeout');
    expect(problem).toContain('registrarTimeout');
    expect(problem).toContain('afterStop');
  });

  it('rejects options that are not an object', () => {
    expect(problemsOf('fast')).toEqual(['the options are "fast"; they must be an object']);
    expect(problemsOf([])).toEqual(['the options are []; they must be an object']);
  });

  it('lists every problem at once, in one error', () => {
    const options = { stopTimeout: -1, exit: 'yes', stopTimout: 5, signals: ['SIGKILL'], registrar, consul: {} };
    const problems = problemsOf(options);
    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).toMatch(/"stopTimeout" is -1/);
    expect(problems.join('\n')).toMatch(/"exit" is "yes"/);
    expect(problems.join('\n')).toMatch(/unknown option "stopTimout"/);
    expect(problems.join('\n')).toMatch(/"signals" is \["SIGKILL"\]/);
    expect(problems.join('\n')).toMatch(/"registrar" and "consul" are both set/);
    expect(() => validateOptions(options as never)).toThrow(/^nestjs-graceful: invalid options:\n {2}- /);
  });

  it('normalises hooks to arrays', () => {
    const one = () => undefined;
    const two = () => undefined;
    const o = validateOptions({ beforeStart: one, afterStop: [one, two] });
    expect(o.beforeStart).toEqual([one]);
    expect(o.afterStop).toEqual([one, two]);
    expect(o.afterStart).toEqual([]);
    expect(o.beforeStop).toEqual([]);
  });
});

describe('validateOptions() with values JSON cannot show', () => {
  it('names a NaN or Infinity value as such, not as null', () => {
    expect(() => validateOptions({ stopTimeout: NaN })).toThrow('option "stopTimeout" is NaN; it must be a whole number of milliseconds');
    expect(() => validateOptions({ stopTimeout: Infinity })).toThrow(
      'option "stopTimeout" is Infinity; it must be a whole number of milliseconds',
    );
  });

  it('reports a BigInt or a circular object as a GracefulOptionsError, not a TypeError', () => {
    expect(() => validateOptions({ stopTimeout: 10n as never })).toThrow('option "stopTimeout" is 10n');
    const circular: Record<string, unknown> = { zone: 'a' };
    circular.self = circular;
    expect(() => validateOptions({ metadata: circular as never })).toThrow(GracefulOptionsError);
  });

  it('lists registerRetryMaxDelay < registerRetryDelay together with an unrelated problem', () => {
    const error = (() => {
      try {
        validateOptions({ stopTimeout: -1, registerRetryDelay: 2_000, registerRetryMaxDelay: 1_000 });
      } catch (e) {
        return e as GracefulOptionsError;
      }
      throw new Error('did not throw');
    })();
    expect(error.problems).toEqual([
      expect.stringContaining('option "stopTimeout" is -1'),
      'option "registerRetryMaxDelay" is 1000; it must be at least registerRetryDelay (2000)',
    ]);
  });

  it('refuses an endpoint without a host, such as "localhost:3000"', () => {
    expect(() => validateOptions({ endpoints: ['localhost:3000'] })).toThrow('option "endpoints" is ["localhost:3000"]');
  });
});
