import {
  Controller,
  Get,
  Logger,
  ServiceUnavailableException,
  type INestApplication,
  type ModuleMetadata,
} from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GracefulLifecycle, type GracefulOptions, type Registrar } from '../../src';
import { GracefulHealthIndicator, GracefulHealthModule } from '../../src/health';
import { gracefulTestingOptions } from '../../src/testing';
import { FakeDbPool } from '../support/fake-db';
import { get, waitFor, type Reply } from '../support/http-client';
import { createTestApp, type Platform } from '../support/test-app';

const base: GracefulOptions = gracefulTestingOptions({ advertiseHost: '127.0.0.1', stopTimeout: 5_000 });

/** The app's own health controller: the lifecycle's readiness beside another indicator. */
@Controller('own')
class OwnHealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly graceful: GracefulHealthIndicator,
    private readonly indicators: HealthIndicatorService,
  ) {}

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => this.graceful.readiness('graceful'),
      () => this.indicators.check('db').up({ pool: 'open' }),
    ]);
  }
}

type Probe = { at: number; status: number | 'refused' | 'reset'; body?: unknown };

/**
 * A GET on a new connection; a refused connection is a result, not an error, and so is a
 * reset: a connection still in the kernel's accept queue when the listener closes is reset.
 */
async function probe(port: number, path: string): Promise<Probe> {
  try {
    const reply: Reply = await get(port, path);
    return { at: performance.now(), status: reply.status, body: JSON.parse(reply.body || 'null') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED') return { at: performance.now(), status: 'refused' };
    if (code === 'ECONNRESET') return { at: performance.now(), status: 'reset' };
    throw error;
  }
}

describe.each<Platform>(['express', 'fastify'])('health on %s', (platform) => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    if (app && app.get(GracefulLifecycle).state !== 'stopped') await app.close();
    app = undefined;
  });

  async function listen(
    options: GracefulOptions = {},
    extra: ModuleMetadata = { imports: [GracefulHealthModule.forRoot()] },
  ) {
    app = await createTestApp(platform, { ...base, ...options }, extra);
    await app.listen(0, '127.0.0.1');
    const port = (app.getHttpServer().address() as AddressInfo).port;
    return { port, db: app.get(FakeDbPool), lifecycle: app.get(GracefulLifecycle) };
  }

  it(
    'readiness 503 from the stop on while in-flight requests ' + 'are served; liveness 200 until the listener closes',
    async () => {
      const { port, db, lifecycle } = await listen({ shutdownDelay: 1_000 });
      const ready = await probe(port, '/health/ready');
      expect(ready).toMatchObject({
        status: 200,
        body: { status: 'ok', info: { lifecycle: { status: 'up', state: 'ready' } } },
      });
      expect(await probe(port, '/health/live')).toMatchObject({ status: 200 });

      let slowDone = 0;
      // Held at the gate until the listener closed.
      const slow = Array.from({ length: 5 }, () => get(port, '/gated').finally(() => slowDone++));
      await waitFor(() => db.entered === 5, 5_000, '5 slow requests in their handler');

      const closing = app!.close();
      // Same tick as the stop: the indicator reads the state, no event to wait for.
      expect(lifecycle.state).toBe('draining');
      const thrown = (() => {
        try {
          app!.get(GracefulHealthIndicator).readiness();
        } catch (error) {
          return error;
        }
      })();
      expect(thrown).toBeInstanceOf(ServiceUnavailableException);
      expect((thrown as ServiceUnavailableException).getResponse()).toMatchObject({
        status: 'shutting_down',
        error: { lifecycle: { status: 'down', state: 'draining' } },
      });

      const readiness = await probe(port, '/health/ready');
      expect(readiness.status).toBe(503);
      expect(readiness.body).toMatchObject({
        status: 'shutting_down',
        error: { lifecycle: { status: 'down', state: 'draining', reason: 'app.close()', registration: 'none' } },
      });
      expect(slowDone).toBe(0);

      // Liveness, probe after probe, until the listener closes.
      const live: Probe[] = [];
      for (;;) {
        const p = await probe(port, '/health/live');
        live.push(p);
        if (p.status === 'refused') break;
      }
      // Back to back, one probe can straddle the close itself: accepted, then reset by it.
      const resets = live.filter((p) => p.status === 'reset');
      expect(resets.length).toBeLessThanOrEqual(1);
      expect(live.slice(0, -1 - resets.length).some((p) => p.status === 'reset')).toBe(false);
      const served = live.filter((p) => typeof p.status === 'number');
      expect(served.length).toBeGreaterThan(1);
      expect(served.every((p) => p.status === 200)).toBe(true);
      expect(served[0]!.body).toMatchObject({ info: { lifecycle: { status: 'up', state: 'draining' } } });
      // The listener closed while the slow requests were still being served.
      expect(slowDone).toBe(0);

      db.open();
      const results = await Promise.all(slow);
      await closing;
      expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      expect(db.closedAt).toBeGreaterThan(db.lastQueryAt!);
      // The 5 slow requests the drain waited for, and at most the one probe in flight as the listener
      // closed (they run one at a time); the probes answered during shutdownDelay are not drained work.
      expect(lifecycle.report?.exitCode).toBe(0);
      expect(lifecycle.report?.drained).toBeGreaterThanOrEqual(5);
      expect(lifecycle.report?.drained).toBeLessThanOrEqual(6);
    },
  );

  it(
    'serves the indicator to the app’s own @HealthCheck() controller beside other indicators; a drain answers 503 ' +
      'without Terminus logging an error',
    async () => {
      const logged = vi.spyOn(Logger.prototype, 'error');
      const { port } = await listen(
        { shutdownDelay: 300 },
        { imports: [TerminusModule, GracefulHealthModule], controllers: [OwnHealthController] },
      );
      expect(await probe(port, '/own/ready')).toMatchObject({
        status: 200,
        body: {
          status: 'ok',
          info: { graceful: { status: 'up', state: 'ready' }, db: { status: 'up', pool: 'open' } },
        },
      });
      // The plain import mounts no controller.
      expect((await probe(port, '/health/ready')).status).toBe(404);

      const closing = app!.close();
      for (let i = 0; i < 3; i++) {
        expect(await probe(port, '/own/ready')).toMatchObject({
          status: 503,
          body: { status: 'shutting_down', error: { graceful: { status: 'down', state: 'draining' } } },
        });
      }
      await closing;
      // Terminus logs "Health Check has failed!" at error level for a down result; a drain is not one.
      expect(logged.mock.calls.flat().join('\n')).not.toContain('Health Check has failed');
    },
  );

  it(
    'warns at start, with the fix, when the app’s own controller takes a ready-made route (controller: false ' +
      'forgotten)',
    async () => {
      const warn = vi.spyOn(Logger.prototype, 'warn');
      @Controller('health')
      class MyHealthController {
        @Get('ready')
        ready() {
          return { mine: true };
        }
      }
      const started = listen(
        {},
        { imports: [TerminusModule, GracefulHealthModule.forRoot()], controllers: [MyHealthController] },
      );
      // Express maps both and one answers; Fastify refuses the second: either way the warning came first.
      await (platform === 'fastify' ? started.catch(() => undefined) : started);
      expect(warn.mock.calls.map((c) => String(c[0]))).toContain(
        "GET /health/ready is mapped twice: by GracefulHealthModule.forRoot()'s ready-made controller and by " +
          'MyHealthController.ready. ' +
          'Only one of them can answer (Express serves the first one mapped, Fastify refuses to start). ' +
          'With your own health controller, import GracefulHealthModule (or forRoot({ controller: false })) for the ' +
          'indicator alone.',
      );
    },
  );

  it('does not warn when the app’s own health routes are on other paths', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn');
    const { port } = await listen(
      {},
      { imports: [TerminusModule, GracefulHealthModule.forRoot()], controllers: [OwnHealthController] },
    );
    expect((await probe(port, '/own/ready')).status).toBe(200);
    expect((await probe(port, '/health/ready')).status).toBe(200);
    expect(warn.mock.calls.map((c) => String(c[0])).join('\n')).not.toContain('mapped twice');
  });

  it('mounts the controller at the configured paths', async () => {
    const { port } = await listen(
      {},
      {
        imports: [
          GracefulHealthModule.forRoot({ controller: { readyPath: 'readyz', livePath: '/livez' }, key: 'app' }),
        ],
      },
    );
    expect(await probe(port, '/readyz')).toMatchObject({ status: 200, body: { info: { app: { status: 'up' } } } });
    expect(await probe(port, '/livez')).toMatchObject({ status: 200, body: { info: { app: { status: 'up' } } } });
    expect((await probe(port, '/health/ready')).status).toBe(404);
  });

  describe('with a registry that is down at start', () => {
    function flakyRegistrar() {
      const state = { up: false };
      const registrar: Registrar = {
        register: async () => {
          if (!state.up) throw new Error('registry unreachable');
        },
        deregister: async () => undefined,
      };
      return { registrar, state };
    }
    const retry = { registerRetryDelay: 20, registerRetryMaxDelay: 20 };

    it("readiness 'registered': 503 with the registration error until registered", async () => {
      const { registrar, state } = flakyRegistrar();
      const { port, lifecycle } = await listen({ registrar, readiness: 'registered', ...retry });
      await waitFor(() => lifecycle.registrationStatus === 'failed', 10_000, 'a failed attempt');
      expect(await probe(port, '/health/ready')).toMatchObject({
        status: 503,
        body: {
          error: {
            lifecycle: {
              status: 'down',
              state: 'starting',
              reason: 'registering',
              registration: 'failed',
              registrationError: 'registry unreachable',
            },
          },
        },
      });
      expect((await probe(port, '/health/live')).status).toBe(200);
      state.up = true;
      await waitFor(() => lifecycle.state === 'ready', 10_000, 'registered');
      expect(await probe(port, '/health/ready')).toMatchObject({
        status: 200,
        body: { info: { lifecycle: { status: 'up', state: 'ready', registration: 'registered' } } },
      });
    });

    it("readiness 'listening' (default): 200 at listen, the body shows the failed registration", async () => {
      const { registrar } = flakyRegistrar();
      const { port, lifecycle } = await listen({ registrar, ...retry });
      await waitFor(() => lifecycle.registrationStatus === 'failed', 10_000, 'a failed attempt');
      expect(await probe(port, '/health/ready')).toMatchObject({
        status: 200,
        body: {
          info: {
            lifecycle: {
              status: 'up',
              state: 'ready',
              registration: 'failed',
              registrationError: 'registry unreachable',
            },
          },
        },
      });
    });
  });

  describe('with TerminusModule.forRoot({ gracefulShutdownTimeoutMs })', () => {
    const phase = (lifecycle: GracefulLifecycle, name: string) =>
      lifecycle.report!.phases.find((p) => p.phase === name)!.ms;

    it(
      'moves Terminus’ wait into shutdownDelay: it waits ' + 'once, before the listener closes, not in teardown',
      async () => {
        const warn = vi.spyOn(Logger.prototype, 'warn');
        const terminusOptions = { gracefulShutdownTimeoutMs: 600 };
        const { port, lifecycle } = await listen(
          {},
          { imports: [TerminusModule.forRoot(terminusOptions), GracefulHealthModule.forRoot()] },
        );
        expect(terminusOptions.gracefulShutdownTimeoutMs).toBe(0);
        expect(warn).toHaveBeenCalledWith(expect.stringContaining('raised shutdownDelay from 0 to 600 ms'));

        const stopping = lifecycle.shutdown('SIGTERM'); // Terminus only waits on SIGTERM
        expect((await probe(port, '/health/ready')).status).toBe(503);
        const report = await stopping;
        // Waited once, in the delay; Terminus' own wait in teardown is gone (its option is 0 above).
        expect(phase(lifecycle, 'delay')).toBeGreaterThanOrEqual(590);
        expect(report.phases.map((p) => p.phase)).toContain('teardown');
      },
    );

    it('keeps a longer shutdownDelay and does not add Terminus’ wait to it', async () => {
      const terminusOptions = { gracefulShutdownTimeoutMs: 300 };
      const { lifecycle } = await listen(
        { shutdownDelay: 500 },
        { imports: [TerminusModule.forRoot(terminusOptions)] },
      );
      expect(terminusOptions.gracefulShutdownTimeoutMs).toBe(0);
      const report = await lifecycle.shutdown('SIGTERM');
      expect(phase(lifecycle, 'delay')).toBeGreaterThanOrEqual(490);
      expect(report.exitCode).toBe(0);
    });

    it('(control) left alone, Terminus’ wait would land in teardown, after the listener closed', async () => {
      const terminusOptions = { gracefulShutdownTimeoutMs: 300 };
      const { lifecycle } = await listen({}, { imports: [TerminusModule.forRoot(terminusOptions)] });
      terminusOptions.gracefulShutdownTimeoutMs = 300; // undo the neutralisation
      await lifecycle.shutdown('SIGTERM');
      expect(phase(lifecycle, 'teardown')).toBeGreaterThanOrEqual(290);
    });
  });
});
