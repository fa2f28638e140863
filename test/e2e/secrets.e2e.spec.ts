import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import {
  APP_INFO,
  GRACEFUL_OPTIONS,
  GracefulInterceptor,
  GracefulLifecycle,
  GracefulModule,
  StopSignals,
  WorkTracker,
  enableGracefulShutdown,
  type GracefulOptions,
} from '../../src';
import { RAW_GRACEFUL_OPTIONS } from '../../src/graceful-module-definition';
import { closedPort } from '../support/closed-port';
import { waitFor } from '../support/http-client';
import { createTestApp } from '../support/test-app';

const TOKEN = 'sekrit-acl-token-5f1c';

/**
 * What JSON.stringify would reach (own enumerable properties), to `depth` levels: the lifecycle holds the whole app.
 */
function stringify(value: unknown, depth = 8, seen = new WeakSet<object>()): string {
  if (typeof value !== 'object' || value === null)
    return JSON.stringify(typeof value === 'bigint' ? String(value) : value) ?? '';
  if (depth === 0 || seen.has(value)) return '"[…]"';
  seen.add(value);
  const json = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof json === 'function') return stringify(json.call(value), depth - 1, seen);
  return `{${Object.entries(value)
    .map(([k, v]) => `${JSON.stringify(k)}:${stringify(v, depth - 1, seen)}`)
    .join(',')}}`;
}

describe('the Consul token', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  const optionsWithToken = async (): Promise<GracefulOptions> => ({
    exit: false,
    signals: [],
    advertiseHost: '127.0.0.1',
    registerRetryDelay: 50,
    consul: { address: `127.0.0.1:${await closedPort()}`, token: TOKEN },
  });

  it.each([
    ['forRoot()', async () => createTestApp('express', await optionsWithToken())],
    [
      'forRootAsync()',
      async () => {
        const options = await optionsWithToken();
        @Module({ imports: [GracefulModule.forRootAsync({ useFactory: async () => options })] })
        class AsyncModule {}
        const created = await NestFactory.create(AsyncModule, { logger: ['error'] });
        enableGracefulShutdown(created);
        return created;
      },
    ],
  ])(
    'with %s: reachable through no exported provider, by util.inspect nor JSON.stringify, nor in the registration ' +
      'error',
    async (_, create) => {
      app = await create();
      await app.listen(0, '127.0.0.1');
      const lifecycle = app.get(GracefulLifecycle);
      await waitFor(() => lifecycle.registrationStatus === 'failed', 10_000, 'a refused registration');
      expect(lifecycle.registrationError).toContain('ECONNREFUSED');

      // The module's raw options too: their token is a guessable string.
      const exported = [
        GRACEFUL_OPTIONS,
        APP_INFO,
        StopSignals,
        WorkTracker,
        GracefulLifecycle,
        GracefulInterceptor,
        RAW_GRACEFUL_OPTIONS,
      ];
      for (const token of exported) {
        const provider: unknown = app.get(token as never);
        expect(inspect(provider, { depth: 8, showHidden: true })).not.toContain(TOKEN);
        expect(stringify(provider)).not.toContain(TOKEN);
      }
      expect(inspect(lifecycle.registrationError)).not.toContain(TOKEN);
    },
  );
});
