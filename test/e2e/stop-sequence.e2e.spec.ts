import { Injectable, Logger, type INestApplication, type OnModuleDestroy } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { GracefulLifecycle, type GracefulOptions, type Registrar, type ServiceInstance } from '../../src';
import { DrainService } from '../../src/drain/drain.service';
import { FakeDbPool } from '../support/fake-db';
import { phasesWithout } from '../support/stop-phases';
import { createTestApp, type Platform } from '../support/test-app';

const base: GracefulOptions = { exit: false, signals: [], advertiseHost: '127.0.0.1' };

@Injectable()
class ExplodingOnDestroy implements OnModuleDestroy {
  onModuleDestroy(): void {
    throw new Error('onModuleDestroy exploded');
  }
}

/** A registry kept in memory: what a custom `registrar` option receives, call by call. */
function memoryRegistrar(register: Registrar['register'] = async () => undefined) {
  const calls: string[] = [];
  const registrar: Registrar = {
    register: async (instance: ServiceInstance, signal: AbortSignal) => {
      calls.push(`register ${instance.id}`);
      return register(instance, signal);
    },
    deregister: async (instance: ServiceInstance) => {
      calls.push(`deregister ${instance.id}`);
    },
  };
  return { registrar, calls };
}

const refused = () =>
  Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8500'), { code: 'ECONNREFUSED' }));

describe.each<Platform>(['express', 'fastify'])('stop sequence on %s', (platform) => {
  let app: INestApplication | undefined;
  let exit: MockInstance;

  beforeEach(() => {
    exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
  });
  afterEach(async () => {
    if (app && app.get(GracefulLifecycle).state !== 'stopped') await app.close();
    app = undefined;
    exit.mockRestore();
  });

  async function listen(options: GracefulOptions = {}, providers: unknown[] = []) {
    app = await createTestApp(platform, { ...base, ...options }, { providers: providers as never[] });
    await app.listen(0, '127.0.0.1');
    const port = (app.getHttpServer().address() as AddressInfo).port;
    return { port, lifecycle: app.get(GracefulLifecycle), db: app.get(FakeDbPool) };
  }

  it('the teardown bound times only Nest teardown: a slow afterStop hook is not a stuck teardown', async () => {
    let hookEnded = false;
    const afterStop = () =>
      new Promise<void>((resolve) => setTimeout(resolve, 600)).then(() => void (hookEnded = true));
    const { lifecycle } = await listen({ exit: true, teardownTimeout: 300, hookTimeout: 5_000, afterStop });
    await app!.close();
    expect(hookEnded).toBe(true);
    expect(lifecycle.report?.exitCode).toBe(0);
    expect(lifecycle.report?.phases.find((p) => p.phase === 'teardown')).toMatchObject({ ok: true });
    expect(exit).not.toHaveBeenCalled();
  });

  it('never calls process.exit for a stop no signal started, even with exit: true', async () => {
    const { lifecycle } = await listen({ exit: true, signals: ['SIGTERM'] });
    const report = await lifecycle.shutdown('maintenance');
    expect(report.exitCode).toBe(0);
    expect(exit).not.toHaveBeenCalled();
  });

  // Nest 12 logs a throwing onModuleDestroy and goes on (Nest 11 rejects close(): the unit tests of the sequence cover
  // a rejecting teardown).
  it(
    'an onModuleDestroy that throws: afterStop, the release and ' + 'the report still happen, nothing is left to fire',
    async () => {
      const before = process.listenerCount('SIGTERM');
      const afterStop = vi.fn();
      const { lifecycle } = await listen({ exit: true, signals: ['SIGTERM'], afterStop }, [ExplodingOnDestroy]);
      expect(process.listenerCount('SIGTERM')).toBe(before + 1);
      await app!.close();
      expect(lifecycle.report?.phases.map((p) => p.phase)).toEqual(phasesWithout('beforeStop', 'deregister'));
      expect(afterStop).toHaveBeenCalledTimes(1);
      expect(lifecycle.state).toBe('stopped');
      expect(process.listenerCount('SIGTERM')).toBe(before);
      // The watchdog went with the stop: nothing of the library is left to fire later.
      expect((lifecycle as unknown as { watchdog: { timer?: unknown } }).watchdog.timer).toBeUndefined();
      expect(exit).not.toHaveBeenCalled();
    },
  );

  it('closing the transports throwing does not keep Nest teardown from running', async () => {
    const { lifecycle, db } = await listen();
    vi.spyOn(app!.get(DrainService), 'closeRemaining').mockRejectedValue(new Error('microservice close exploded'));
    await app!.close();
    expect(lifecycle.report?.phases.find((p) => p.phase === 'disconnect')).toMatchObject({
      ok: false,
      error: 'microservice close exploded',
    });
    expect(lifecycle.report?.phases.find((p) => p.phase === 'teardown')).toMatchObject({ ok: true });
    expect(db.closedAt).toBeDefined();
  });

  it('a stop asked for during a beforeStart hook wins: its reason stays and no registration begins', async () => {
    const { registrar, calls } = memoryRegistrar();
    let lifecycle!: GracefulLifecycle;
    let stopping!: Promise<unknown>;
    const beforeStart = () => {
      stopping = lifecycle.shutdown('maintenance');
    };
    app = await createTestApp(platform, { ...base, registrar, beforeStart });
    lifecycle = app.get(GracefulLifecycle);
    await app.listen(0, '127.0.0.1');
    await stopping;
    expect(lifecycle.report).toMatchObject({ reason: 'maintenance', exitCode: 0 });
    expect(lifecycle.reason).toBe('maintenance');
    expect(calls).toEqual([]);
  });

  it('a stop before listen() finished: the server does not stay open and nothing registers', async () => {
    const { registrar, calls } = memoryRegistrar();
    app = await createTestApp(platform, { ...base, registrar });
    const lifecycle = app.get(GracefulLifecycle);
    const listening = app.listen(0, '127.0.0.1').catch((error: Error) => error);
    const report = await lifecycle.shutdown('early');
    await listening;
    expect(report).toMatchObject({ reason: 'early', exitCode: 0 });
    expect(app.getHttpServer().listening).toBe(false);
    expect(calls).toEqual([]);
  });

  it(
    'an instance whose every registration attempt was refused ' + 'skips the deregistration, says why, and exits 0',
    async () => {
      const { registrar, calls } = memoryRegistrar(refused);
      const log = vi.spyOn(Logger.prototype, 'log');
      const { lifecycle } = await listen({ registrar, registerRetryDelay: 10_000 });
      await vi.waitFor(() => expect(lifecycle.registrationStatus).toBe('failed'));
      const report = await lifecycle.shutdown();
      expect(report.exitCode).toBe(0);
      expect(calls.filter((c) => c.startsWith('deregister'))).toEqual([]);
      expect(report.phases.find((p) => p.phase === 'deregister')).toMatchObject({ ok: true });
      expect(log.mock.calls.flat().join('\n')).toContain(
        'deregistration skipped: no registration attempt reached the registry',
      );
      log.mockRestore();
    },
  );

  it(
    'a registration attempt still hanging at the stop is abandoned, and the deregistration is sent within its own ' +
      'bound',
    async () => {
      const { registrar, calls } = memoryRegistrar(() => new Promise<void>(() => undefined));
      const { lifecycle } = await listen({ registrar, registrarTimeout: 60_000 });
      await vi.waitFor(() => expect(calls).toHaveLength(1));
      const report = await lifecycle.shutdown();
      expect(calls).toEqual([calls[0], calls[0]!.replace('register', 'deregister')]);
      expect(report.phases.find((p) => p.phase === 'deregister')).toMatchObject({ ok: true });
      expect(lifecycle.registrationStatus).toBe('deregistered');
    },
  );
});
