import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, type GracefulOptions } from '../../src/graceful-options';
import type { Registrar } from '../../src/registry/registrar.interface';
import { stopBounds, stopBudget, WATCHDOG_SLACK_MS } from '../../src/lifecycle/stop-budget';
import { GracefulOptionsError, validateOptions } from '../../src/validate-options';

const registrar: Registrar = { register: async () => undefined, deregister: async () => undefined };

function errorOf(fn: () => unknown): GracefulOptionsError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(GracefulOptionsError);
    return error as GracefulOptionsError;
  }
  throw new Error('did not throw');
}

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

  it('has the defaults the README documents', () => {
    const o = validateOptions({});
    expect(o.signals).toEqual(['SIGTERM', 'SIGINT']);
    expect(o.readiness).toBe('listening');
    expect(o.registrarTimeout).toBe(3_000);
    expect(o.shutdownDelay).toBe(0);
    expect(o.stopTimeout).toBe(10_000);
    expect(o.abortGrace).toBe(500);
    expect(o.teardownTimeout).toBe(5_000);
    expect(o.hookTimeout).toBe(5_000);
    expect(o.gracePeriod).toBe(30_000);
    expect(o.forceExitOnSecondSignal).toBe(true);
    expect(o.exit).toBe(true);
    expect(o.id).toBeUndefined();
    expect(o.registrar).toBeUndefined();
  });

  it(
    'keeps the stop of the defaults inside gracePeriod, with a ' +
      'registrar, a 5 s shutdownDelay and the watchdog slack',
    () => {
      const o = validateOptions({ registrar, shutdownDelay: 5_000 });
      // 2 × registrarTimeout 3000 (deregistration, registrar close) + 5000 + close 1000 + 10000 + 500 + disconnect 1000
      // +
      // 5000
      expect(stopBudget(stopBounds(o))).toBe(28_500);
      expect(stopBudget(stopBounds(o)) + WATCHDOG_SLACK_MS).toBeLessThanOrEqual(o.gracePeriod);
    },
  );

  it('freezes DEFAULT_OPTIONS to the bottom, and hands each app its own copies', () => {
    expect(Object.isFrozen(DEFAULT_OPTIONS)).toBe(true);
    expect(Object.isFrozen(DEFAULT_OPTIONS.signals)).toBe(true);
    expect(Object.isFrozen(DEFAULT_OPTIONS.metadata)).toBe(true);
    expect(() => (DEFAULT_OPTIONS.signals as NodeJS.Signals[]).push('SIGHUP')).toThrow(TypeError);
    const o = validateOptions({});
    expect(o.signals).not.toBe(DEFAULT_OPTIONS.signals);
    expect(o.metadata).not.toBe(DEFAULT_OPTIONS.metadata);
    o.signals.push('SIGHUP');
    expect(DEFAULT_OPTIONS.signals).toEqual(['SIGTERM', 'SIGINT']);
  });

  it('keeps the consul fields out of the result: only the registrar built from them goes on', () => {
    const o = validateOptions({ consul: { token: 'sekrit' } }, { env: {} });
    expect(Object.keys(o)).not.toContain('consul');
    expect(JSON.stringify(o)).not.toContain('sekrit');
  });

  it('keeps given values and treats undefined as not given', () => {
    const o = validateOptions({
      stopTimeout: 2_500,
      exit: false,
      signals: ['SIGHUP'],
      name: 'svc',
      shutdownDelay: undefined,
      registrar,
    });
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
        readiness: 'registered',
      }),
    ).not.toThrow();
  });

  it.each<[string, GracefulOptions | unknown, string]>([
    [
      'a negative duration',
      { stopTimeout: -1 },
      'option "stopTimeout" is -1; it must be a whole number of milliseconds from 0 to 2147483647',
    ],
    [
      'a non-integer duration',
      { shutdownDelay: 1.5 },
      'option "shutdownDelay" is 1.5; it must be a whole number of milliseconds from 0 to 2147483647',
    ],
    [
      'a duration as a string',
      { stopTimeout: '10s' },
      'option "stopTimeout" is "10s"; it must be a whole number of milliseconds from 0 to 2147483647. Give a number, ' +
        'not a string: 10 s is 10000',
    ],
    [
      "a duration past setTimeout's range",
      { teardownTimeout: 2_147_483_648 },
      'option "teardownTimeout" is 2147483648; it must be a whole number of milliseconds from 1 to 2147483647',
    ],
    [
      'a zero positive duration',
      { registrarTimeout: 0 },
      'option "registrarTimeout" is 0; it must be a whole number of milliseconds from 1 to 2147483647',
    ],
    ['a wrong type for exit', { exit: 'false' }, 'option "exit" is "false"; it must be true or false'],
    [
      'a number for forceExitOnSecondSignal',
      { forceExitOnSecondSignal: 1 },
      'option "forceExitOnSecondSignal" is 1; it must be true or false',
    ],
    [
      'SIGKILL in signals',
      { signals: ['SIGTERM', 'SIGKILL'] },
      'option "signals" is ["SIGTERM","SIGKILL"]; it must be an array of signals this process can catch, such as ' +
        '["SIGTERM", "SIGINT"], or [] for no handler. SIGKILL cannot be caught. Use SIGTERM',
    ],
    ['SIGSTOP in signals', { signals: ['SIGSTOP'] }, '. SIGSTOP cannot be caught.'],
    [
      'a signal this platform does not have',
      { signals: ['SIGFOO'] },
      `option "signals" is ["SIGFOO"]; it must be an array of signals this process can catch, such as ["SIGTERM", ` +
        `"SIGINT"], or [] for no handler. "SIGFOO" is not a signal of ${process.platform}. Use SIGTERM (what ` +
        `Kubernetes and Docker send) and SIGINT (Ctrl-C)`,
    ],
    [
      'a lower-case signal',
      { signals: ['sigterm'] },
      `"sigterm" is not a signal of ${process.platform} (did you mean "SIGTERM"?)`,
    ],
    [
      'a fault signal',
      { signals: ['SIGSEGV'] },
      'SIGSEGV is a fault signal: after a real one Node cannot run JavaScript',
    ],
    ['the inspector signal', { signals: ['SIGUSR1'] }, 'SIGUSR1 is reserved by Node.js to start the inspector'],
    ['a signal listed twice', { signals: ['SIGTERM', 'SIGTERM'] }, '"SIGTERM" listed more than once'],
    ['a number among the signals', { signals: [15] }, 'number is not a signal name'],
    [
      'a single signal, not an array',
      { signals: 'SIGTERM' },
      'option "signals" is "SIGTERM"; it must be an array of signals this process can catch, such as ["SIGTERM", ' +
        '"SIGINT"], or [] for no handler. Put the signal in an array',
    ],
    [
      'an unknown readiness',
      { readiness: 'ready' },
      'option "readiness" is "ready"; it must be "listening" (ready once the server listens) or "registered" (ready ' +
        'once the registry accepted the instance)',
    ],
    [
      'a bad endpoint URL',
      { endpoints: ['http://10.0.0.5:3000', 'not a url'] },
      'option "endpoints" is ["http://10.0.0.5:3000","not a url"]; it must be an array of URLs such as ' +
        '"http://10.0.0.5:3000"',
    ],
    ['an empty name', { name: '  ' }, 'option "name" is "  "; it must be a non-empty string'],
    [
      'metadata with a number',
      { metadata: { replicas: 3 } },
      'option "metadata" is {"replicas":3}; it must be an object whose values are strings',
    ],
    [
      'a hook that is not a function',
      { beforeStop: 'drain' },
      'option "beforeStop" is "drain"; it must be a function or an array of functions',
    ],
    [
      'an array with a non-function hook',
      { afterStop: [() => undefined, 1] },
      '; it must be a function or an array of functions',
    ],
    [
      'a registrar without methods',
      { registrar: {} },
      'option "registrar" is {}; it must be an object with register(instance, signal) and deregister(instance, ' +
        'signal) methods',
    ],
    [
      'a registrar without deregister',
      { registrar: { register: () => undefined } },
      'it must be an object with register(instance, signal) and deregister(instance, signal) methods',
    ],
    [
      'consul as a string',
      { consul: 'http://127.0.0.1:8500' },
      'option "consul" is "http://127.0.0.1:8500"; it must be an object of Consul options such as { address: ' +
        '"127.0.0.1:8500" }. Give {} to take CONSUL_HTTP_ADDR',
    ],
    [
      'the unknown option "stopTimout"',
      { stopTimout: 5_000 },
      'unknown option "stopTimout"; did you mean "stopTimeout"? the options are: id, name, version,',
    ],
    [
      'the old option "requireRegistration"',
      { requireRegistration: true },
      'unknown option "requireRegistration"; the options are: id, name, version,',
    ],
    [
      'registrar and consul together',
      { registrar, consul: {} },
      'options "registrar" and "consul" are both set; give one: "consul" builds a ConsulRegistrar, "registrar" takes ' +
        'your own',
    ],
    [
      'a bad consul field',
      { consul: { port: 0 } },
      'option "consul.port" is 0; it must be a whole number from 1 to 65535',
    ],
    [
      'an unknown consul field',
      { consul: { tokn: 'x' } },
      'unknown option "consul.tokn"; did you mean "consul.token"?',
    ],
    [
      'registerRetryMaxDelay below registerRetryDelay',
      { registerRetryDelay: 2_000, registerRetryMaxDelay: 1_000 },
      'option "registerRetryMaxDelay" is 1000; it must be at least registerRetryDelay (2000)',
    ],
    [
      'registerRetryMaxDelay below the default registerRetryDelay',
      { registerRetryMaxDelay: 500 },
      'option "registerRetryMaxDelay" is 500; it must be at least registerRetryDelay (1000)',
    ],
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
    const allowed = 'they must be an object such as { shutdownDelay: 5000 }';
    expect(problemsOf('fast')).toEqual([`the options of GracefulModule.forRoot() are "fast"; ${allowed}`]);
    expect(problemsOf([])).toEqual([`the options of GracefulModule.forRoot() are []; ${allowed}`]);
  });

  it('lists every problem at once, in one error: top-level, consul and health', () => {
    const options = {
      stopTimeout: -1,
      exit: 'yes',
      stopTimout: 5,
      signals: ['SIGFOO'],
      registrar,
      consul: { port: 0, tokn: 'x', check: { type: 'ttl', ttl: 1 } },
    };
    const health = ['option "key" of GracefulHealthModule.forRoot() is ""; it must be a non-empty string'];
    const error = errorOf(() => validateOptions(options as never, { otherProblems: health, env: {} }));
    expect(error.problems).toHaveLength(9);
    const all = error.problems.join('\n');
    expect(all).toMatch(/"stopTimeout" is -1/);
    expect(all).toMatch(/"exit" is "yes"/);
    expect(all).toMatch(/unknown option "stopTimout"/);
    expect(all).toMatch(/"signals" is \["SIGFOO"\]/);
    expect(all).toMatch(/options "registrar" and "consul" are both set/);
    expect(all).toMatch(/"consul\.port" is 0/);
    expect(all).toMatch(/unknown option "consul\.tokn"/);
    expect(all).toMatch(/"consul\.check\.ttl" is 1/);
    expect(error.problems.at(-1)).toBe(health[0]);
    expect(error.message).toMatch(/^nestjs-graceful: invalid options:\n {2}- /);
    expect(error.message.split('\n  - ')).toHaveLength(10);
  });

  it('reports the health problems even when its own options are fine', () => {
    expect(errorOf(() => validateOptions({}, { otherProblems: ['health problem'] })).problems).toEqual([
      'health problem',
    ]);
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
    expect(() => validateOptions({ stopTimeout: NaN })).toThrow(
      'option "stopTimeout" is NaN; it must be a whole number of milliseconds',
    );
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
    expect(() => validateOptions({ endpoints: ['localhost:3000'] })).toThrow(
      'option "endpoints" is ["localhost:3000"]',
    );
  });
});
