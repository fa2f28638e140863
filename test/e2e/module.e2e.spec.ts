import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  GracefulLifecycle,
  GracefulModule,
  GracefulOptionsError,
  InjectAppInfo,
  enableGracefulShutdown,
  type AppInfo,
} from '../../src';
import { GracefulHealthModule } from '../../src/health';
import { gracefulTestingOptions } from '../../src/testing';
import { FakeDbPool } from '../support/fake-db';
import { phasesWithout } from '../support/stop-phases';
import { createTestApp } from '../support/test-app';

@Injectable()
class Settings {
  readonly stopTimeout = 1_234;
  readonly name = 'from-factory';
}

@Module({ providers: [Settings], exports: [Settings] })
class SettingsModule {}

@Injectable()
class NeedsAppInfo {
  constructor(@InjectAppInfo() readonly info: AppInfo) {}
}

describe('GracefulModule', () => {
  it('forRootAsync takes its options from a factory with injected providers, and the module is global', async () => {
    @Module({
      imports: [
        GracefulModule.forRootAsync({
          imports: [SettingsModule],
          inject: [Settings],
          useFactory: (s: Settings) => gracefulTestingOptions({ name: s.name, stopTimeout: s.stopTimeout }),
        }),
      ],
      providers: [NeedsAppInfo],
    })
    class AsyncModule {}
    const app = await NestFactory.create(AsyncModule, { logger: false });
    enableGracefulShutdown(app);
    await app.listen(0, '127.0.0.1');
    const port = (app.getHttpServer().address() as AddressInfo).port;
    const info = app.get(NeedsAppInfo).info;
    expect(info.name).toBe('from-factory');
    expect(info.endpoints).toEqual([`http://127.0.0.1:${port}`]);
    expect(info.id).toMatch(new RegExp(`-${process.pid}-[0-9a-f]{6}$`));
    expect(app.get(GracefulLifecycle).state).toBe('ready');
    await app.close();
    expect(app.get(GracefulLifecycle).state).toBe('stopped');
  });

  it(
    'fails the bootstrap with one message naming each bad option, its value and what is allowed: top-level, consul ' +
      'and health',
    async () => {
      const create = createTestApp(
        'express',
        {
          stopTimeout: -5,
          signals: ['SIGFOO'],
          stopTimout: 1,
          consul: { adress: 'x', token: 'sekrit-token', check: { type: 'ttl', ttl: 5 } },
        } as never,
        { imports: [GracefulHealthModule.forRoot({ key: '', controller: { readyPath: 'a b' } })] },
        { attach: false },
      );
      const error = await create.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(GracefulOptionsError);
      const { problems, message } = error as GracefulOptionsError;
      expect(problems).toEqual([
        'option "stopTimeout" is -5; it must be a whole number of milliseconds from 0 to 2147483647',
        expect.stringContaining(
          'option "signals" is ["SIGFOO"]; it must be an array of signals this process can catch',
        ),
        expect.stringContaining('unknown option "stopTimout"; did you mean "stopTimeout"?'),
        expect.stringContaining('unknown option "consul.adress"; did you mean "consul.address"?'),
        'option "consul.check.ttl" is 5; it must be a whole number of milliseconds from 1000 to 2147483647',
        'option "key" of GracefulHealthModule.forRoot() is ""; it must be a non-empty string',
        expect.stringContaining('option "controller.readyPath" of GracefulHealthModule.forRoot() is "a b"'),
      ]);
      expect(message).not.toContain('sekrit');
    },
  );

  it('leaves no signal listener behind after app.close(), and adds one per signal however many apps run', async () => {
    const before = { term: process.listenerCount('SIGTERM'), int: process.listenerCount('SIGINT') };
    const first = await createTestApp('express', { exit: false });
    const second = await createTestApp('fastify', { exit: false });
    await first.init();
    await second.init();
    expect(process.listenerCount('SIGTERM')).toBe(before.term + 1);
    expect(process.listenerCount('SIGINT')).toBe(before.int + 1);
    await first.close();
    expect(process.listenerCount('SIGTERM')).toBe(before.term + 1);
    await second.close();
    expect(process.listenerCount('SIGTERM')).toBe(before.term);
    expect(process.listenerCount('SIGINT')).toBe(before.int);
  });

  it('shutdown(reason) runs the whole stop and resolves with the report', async () => {
    const app = await createTestApp('express', gracefulTestingOptions());
    await app.listen(0, '127.0.0.1');
    const report = await app.get(GracefulLifecycle).shutdown('maintenance');
    expect(report).toMatchObject({ reason: 'maintenance', exitCode: 0 });
    expect(report.phases.map((p) => p.phase)).toEqual(phasesWithout('beforeStop', 'deregister', 'afterStop'));
    expect(app.get(GracefulLifecycle).state).toBe('stopped');
  });

  it('runs one stop and one teardown when close() and shutdown() are called together', async () => {
    const app = await createTestApp('fastify', gracefulTestingOptions());
    await app.listen(0, '127.0.0.1');
    const db = app.get(FakeDbPool);
    let destroyed = 0;
    const onModuleDestroy = db.onModuleDestroy.bind(db);
    db.onModuleDestroy = () => {
      destroyed++;
      onModuleDestroy();
    };
    const [report] = await Promise.all([app.get(GracefulLifecycle).shutdown('first'), app.close(), app.close()]);
    expect(destroyed).toBe(1);
    expect(report.reason).toBe('first');
  });
});
