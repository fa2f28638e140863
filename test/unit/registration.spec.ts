import type { Logger } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Registrar } from '../../src/registry/registrar.interface';
import { Registration, type RegistrationOptions } from '../../src/registry/registration';
import type { ServiceInstance } from '../../src/registry/service-instance.interface';

const instance: ServiceInstance = {
  id: 'svc-1',
  name: 'svc',
  version: '1.0.0',
  metadata: {},
  endpoints: ['http://10.0.0.5:3000'],
};
const options: RegistrationOptions = { registrarTimeout: 1_000, registerRetryDelay: 100, registerRetryMaxDelay: 500 };

const fakeLogger = () => ({ log: vi.fn(), warn: vi.fn(), error: vi.fn() });

/** A register() that never answers on its own, rejects when its signal fires, and records that signal. */
function hangingRegister(events: string[], signals: AbortSignal[]) {
  return (_: ServiceInstance, signal: AbortSignal) =>
    new Promise<void>((_resolve, reject) => {
      events.push('register:start');
      signals.push(signal);
      signal.addEventListener('abort', () => {
        events.push('register:aborted');
        reject(signal.reason);
      });
    });
}

describe('Registration', () => {
  let logger: ReturnType<typeof fakeLogger>;

  beforeEach(() => {
    vi.useFakeTimers();
    logger = fakeLogger();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const make = (registrar: Registrar | undefined, o: RegistrationOptions = options) =>
    new Registration(registrar, o, logger as unknown as Logger);

  it('with no registrar: disabled, start and deregister do nothing', async () => {
    const r = make(undefined);
    expect(r.enabled).toBe(false);
    const onRegistered = vi.fn();
    r.start(instance, onRegistered);
    expect(r.status).toBe('none');
    await r.deregister(instance, new AbortController().signal);
    await r.close();
    expect(r.status).toBe('none');
    expect(onRegistered).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stopped before it started (the app never listened): deregister makes no network call', async () => {
    const registrar = { register: vi.fn(async () => undefined), deregister: vi.fn(async () => undefined) };
    const r = make(registrar);
    await r.deregister(instance, new AbortController().signal);
    expect(registrar.deregister).not.toHaveBeenCalled();
    r.start(instance, vi.fn());
    expect(registrar.register).not.toHaveBeenCalled();
    expect(r.status).toBe('none');
  });

  it('registers at once when the registry answers', async () => {
    const registrar = { register: vi.fn(async () => undefined), deregister: vi.fn(async () => undefined) };
    const r = make(registrar);
    const onRegistered = vi.fn();
    r.start(instance, onRegistered);
    expect(r.status).toBe('pending');
    await vi.advanceTimersByTimeAsync(0);
    expect(r.status).toBe('registered');
    expect(registrar.register).toHaveBeenCalledExactlyOnceWith(instance, expect.any(AbortSignal));
    expect(onRegistered).toHaveBeenCalledTimes(1);
    expect(r.error).toBeUndefined();
  });

  it('start() twice runs one loop', async () => {
    const registrar = { register: vi.fn(async () => undefined), deregister: vi.fn(async () => undefined) };
    const r = make(registrar);
    r.start(instance, () => undefined);
    r.start(instance, () => undefined);
    await vi.advanceTimersByTimeAsync(0);
    expect(registrar.register).toHaveBeenCalledTimes(1);
  });

  it('retries with exponential backoff capped at registerRetryMaxDelay, pending → failed → registered', async () => {
    const attemptsAt: number[] = [];
    let calls = 0;
    const registrar: Registrar = {
      register: vi.fn(async () => {
        attemptsAt.push(performance.now());
        calls++;
        if (calls <= 5) throw new Error(`registry down (${calls})`);
      }),
      deregister: vi.fn(async () => undefined),
    };
    const r = make(registrar);
    const onRegistered = vi.fn();
    r.start(instance, onRegistered);
    expect(r.status).toBe('pending');
    expect(r.error).toBeUndefined();

    await vi.advanceTimersByTimeAsync(0);
    expect(r.status).toBe('failed');
    expect(r.error).toBe('registry down (1)');
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining('registration attempt 1 failed after 0 ms: registry down (1); retrying in 100 ms'),
    );

    await vi.advanceTimersByTimeAsync(99);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toBe(2);
    expect(r.status).toBe('failed');
    expect(r.error).toBe('registry down (2)');

    await vi.advanceTimersByTimeAsync(5_000);
    expect(calls).toBe(6);
    const gaps = attemptsAt.slice(1).map((t, i) => t - attemptsAt[i]);
    expect(gaps).toEqual([100, 200, 400, 500, 500]);
    expect(r.status).toBe('registered');
    expect(r.error).toBeUndefined();
    expect(onRegistered).toHaveBeenCalledTimes(1);
    expect(logger.log).toHaveBeenCalledWith(expect.stringContaining('after 6 attempts'));
    expect(vi.getTimerCount()).toBe(0);
  });

  it('bounds each attempt by registrarTimeout: a hanging register is aborted through its signal', async () => {
    const events: string[] = [];
    const signals: AbortSignal[] = [];
    const registrar: Registrar = {
      register: vi.fn(hangingRegister(events, signals)),
      deregister: vi.fn(async () => undefined),
    };
    const r = make(registrar);
    r.start(instance, () => undefined);
    await vi.advanceTimersByTimeAsync(999);
    expect(signals).toHaveLength(1);
    expect(signals[0].aborted).toBe(false);
    expect(r.status).toBe('pending');

    await vi.advanceTimersByTimeAsync(1);
    expect(signals[0].aborted).toBe(true);
    expect(r.status).toBe('failed');
    expect(r.error).toBe(
      "no answer from the registry within 1000 ms (registrarTimeout): check that this address is the registry's HTTP " +
        'API and that it is healthy ' +
        '(a process that accepts connections but never answers, a firewall that drops packets or an overloaded agent ' +
        'look like this); ' +
        'raise registrarTimeout only if it is merely slow',
    );

    // the next attempt comes registerRetryDelay later, with a fresh signal
    await vi.advanceTimersByTimeAsync(100);
    expect(signals).toHaveLength(2);
    expect(signals[1].aborted).toBe(false);
    await r.close();
  });

  it('deregister stops the retry loop and deregisters', async () => {
    const registrar = {
      register: vi.fn(async () => Promise.reject(new Error('down'))),
      deregister: vi.fn(async () => undefined),
    };
    const r = make(registrar);
    r.start(instance, () => undefined);
    await vi.advanceTimersByTimeAsync(0);
    expect(r.status).toBe('failed');

    await r.deregister(instance, new AbortController().signal);
    expect(registrar.deregister).toHaveBeenCalledExactlyOnceWith(instance, expect.any(AbortSignal));
    expect(r.status).toBe('deregistered');

    await vi.advanceTimersByTimeAsync(60_000);
    expect(registrar.register).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('deregister abandons an attempt in flight at once and deregisters within its own bound', async () => {
    const events: string[] = [];
    const signals: AbortSignal[] = [];
    const registrar: Registrar = {
      register: vi.fn(hangingRegister(events, signals)),
      deregister: vi.fn(async (_: ServiceInstance, signal: AbortSignal) => {
        events.push(`deregister:${signal.aborted ? 'aborted' : 'live'}`);
      }),
    };
    const r = make(registrar, { ...options, registrarTimeout: 60_000 });
    r.start(instance, () => undefined);
    await vi.advanceTimersByTimeAsync(10);

    // No timer advance: the hanging attempt does not hold the deregistration up.
    await r.deregister(instance, new AbortController().signal);
    expect(signals[0].aborted).toBe(true);
    expect(events).toEqual(['register:start', 'register:aborted', 'deregister:live']);
    expect(r.status).toBe('deregistered');
    await vi.advanceTimersByTimeAsync(120_000);
    expect(registrar.register).toHaveBeenCalledTimes(1);
  });

  it('deregisters after an attempt that even ignores its abort: it may still land', async () => {
    const registrar: Registrar = {
      register: vi.fn(() => new Promise<void>(() => undefined)),
      deregister: vi.fn(async () => undefined),
    };
    const r = make(registrar);
    r.start(instance, () => undefined);
    await vi.advanceTimersByTimeAsync(10);
    await r.deregister(instance, new AbortController().signal);
    expect(registrar.deregister).toHaveBeenCalledTimes(1);
  });

  it.each([
    [
      'the connection was refused',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8500'), { code: 'ECONNREFUSED' }),
      'no registration attempt reached the registry (last: connect ECONNREFUSED 127.0.0.1:8500)',
    ],
    [
      'the name did not resolve (in cause)',
      new Error('fetch failed', { cause: { code: 'ENOTFOUND' } }),
      'no registration attempt reached the registry (last: fetch failed)',
    ],
    [
      'the registry answered 403',
      Object.assign(new Error('Forbidden'), { statusCode: 403 }),
      'the registry refused every registration attempt that reached it (last: Forbidden)',
    ],
  ])(
    'skips the deregistration, and says truly why, when every attempt failed before registering: %s',
    async (_, failure, why) => {
      const registrar = {
        register: vi.fn(async () => Promise.reject(failure)),
        deregister: vi.fn(async () => undefined),
      };
      const r = make(registrar);
      r.start(instance, () => undefined);
      await vi.advanceTimersByTimeAsync(100 + 200);
      expect(registrar.register).toHaveBeenCalledTimes(3);
      await r.deregister(instance, new AbortController().signal);
      expect(registrar.deregister).not.toHaveBeenCalled();
      expect(logger.log).toHaveBeenCalledWith(`deregistration skipped: ${why}, so nothing can be registered`);
    },
  );

  it(
    "names the registrar's target in a timed-out attempt, a skipped deregistration and a deregistration without " +
      'answer',
    async () => {
      const target = 'the Consul agent at http://127.0.0.1:8500';
      const events: string[] = [];
      const refusing = {
        target,
        register: vi.fn(async () => Promise.reject(Object.assign(new Error('403'), { statusCode: 403 }))),
        deregister: vi.fn(async () => undefined),
      };
      const refused = make(refusing);
      refused.start(instance, () => undefined);
      await vi.advanceTimersByTimeAsync(0);
      await refused.deregister(instance, new AbortController().signal);
      expect(logger.log).toHaveBeenCalledWith(
        `deregistration skipped: ${target} refused every ` +
          `registration attempt that reached it (last: 403), so nothing ` +
          `can be registered`,
      );

      const silent: Registrar = {
        target,
        register: vi.fn(hangingRegister(events, [])),
        deregister: vi.fn(hangingRegister(events, [])),
      };
      const r = make(silent);
      r.start(instance, () => undefined);
      await vi.advanceTimersByTimeAsync(1_000);
      expect(r.error).toMatch(new RegExp(`^no answer from ${target} within 1000 ms \\(registrarTimeout\\)`));
      const bound = new AbortController();
      const deregistering = r.deregister(instance, bound.signal).catch((e: unknown) => e);
      bound.abort(new Error('did not finish within 1000 ms'));
      await deregistering;
      expect(logger.warn).toHaveBeenCalledWith(
        `no answer from ${target} to the deregistration (did not ` +
          `finish within 1000 ms): callers may keep finding the ` +
          `instance until its check turns critical (a TTL that lapses, or readiness answering 503)`,
      );
    },
  );

  it.each([
    [
      'one attempt timed out',
      (n: number) =>
        n === 1
          ? new Promise<void>(() => undefined)
          : Promise.reject(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })),
    ],
    [
      'one attempt got a 500',
      (n: number) =>
        Promise.reject(
          Object.assign(
            new Error(n === 1 ? 'boom' : 'refused'),
            n === 1 ? { statusCode: 500 } : { code: 'ECONNREFUSED' },
          ),
        ),
    ],
  ])('deregisters when any attempt may have registered: %s', async (_, answer) => {
    let n = 0;
    const registrar = { register: vi.fn(() => answer(++n)), deregister: vi.fn(async () => undefined) };
    const r = make(registrar);
    r.start(instance, () => undefined);
    await vi.advanceTimersByTimeAsync(1_000 + 100 + 200);
    expect(registrar.register.mock.calls.length).toBeGreaterThanOrEqual(2);
    await r.deregister(instance, new AbortController().signal);
    expect(registrar.deregister).toHaveBeenCalledTimes(1);
  });

  it(
    'an attempt in flight when the stop begins counts as ' +
      'possibly registered, even if it then fails before sending',
    async () => {
      let refuse!: () => void;
      const registrar = {
        register: vi.fn(
          () =>
            new Promise<void>(
              (_, reject) => (refuse = () => reject(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))),
            ),
        ),
        deregister: vi.fn(async () => undefined),
      };
      const r = make(registrar);
      r.start(instance, () => undefined);
      await vi.advanceTimersByTimeAsync(10);
      const deregistered = r.deregister(instance, new AbortController().signal);
      refuse();
      await deregistered;
      expect(registrar.deregister).toHaveBeenCalledTimes(1);
    },
  );

  it('close() stops retrying, aborts an attempt in flight and closes the registrar', async () => {
    const events: string[] = [];
    const signals: AbortSignal[] = [];
    const close = vi.fn(async () => undefined);
    const registrar: Registrar = {
      register: vi.fn(hangingRegister(events, signals)),
      deregister: vi.fn(async () => undefined),
      close,
    };
    const r = make(registrar);
    r.start(instance, () => undefined);
    await vi.advanceTimersByTimeAsync(10);
    await r.close();
    expect(signals[0].aborted).toBe(true);
    expect(close).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(registrar.register).toHaveBeenCalledTimes(1);
  });
});
