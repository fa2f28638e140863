import { ServiceUnavailableException } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { describe, expect, it } from 'vitest';
import type { GracefulLifecycle, LifecycleState, RegistrationStatus } from '../../src';
import { GracefulHealthIndicator } from '../../src/health';
import type { LifecycleView } from '../../src/health/health-details';

function indicatorFor(view: LifecycleView): GracefulHealthIndicator {
  return new GracefulHealthIndicator(new HealthIndicatorService(), view as GracefulLifecycle);
}

const view = (state: LifecycleState, extra: Partial<LifecycleView> = {}): LifecycleView => ({
  state,
  registrationStatus: 'none',
  ...extra,
});

describe('GracefulHealthIndicator', () => {
  it('readiness is up only in ready, with the state and registration in the body', () => {
    expect(indicatorFor(view('ready')).readiness()).toEqual({
      lifecycle: { status: 'up', state: 'ready', registration: 'none' },
    });
  });

  it.each<[string | undefined, string]>([
    [undefined, 'not started yet: waiting for the HTTP server to listen and the beforeStart hooks'],
    ['registering', 'registering'],
  ])('readiness is down while starting (reason %s) with the state and reason in the body', (reason, expected) => {
    expect(indicatorFor(view('starting', { reason })).readiness()).toEqual({
      lifecycle: { status: 'down', state: 'starting', reason: expected, registration: 'none' },
    });
  });

  /** What readiness() throws from the stop on, or a failure when it returns. */
  const thrownBy = (indicator: GracefulHealthIndicator, key?: string): ServiceUnavailableException => {
    try {
      indicator.readiness(key);
    } catch (error) {
      expect(error).toBeInstanceOf(ServiceUnavailableException);
      return error as ServiceUnavailableException;
    }
    throw new Error('readiness() returned');
  };

  it.each<[LifecycleState, string]>([
    ['draining', 'SIGTERM'],
    ['stopping', 'SIGTERM'],
    ['stopped', 'app.close()'],
  ])(
    "from the stop on (%s), readiness throws a 503 with Terminus' shutting_down body, which Terminus does not log as " +
      'a failure',
    (state, reason) => {
      const down = { lifecycle: { status: 'down', state, reason, registration: 'none' } };
      const error = thrownBy(indicatorFor(view(state, { reason })));
      expect(error.getStatus()).toBe(503);
      expect(error.getResponse()).toEqual({ status: 'shutting_down', info: {}, error: down, details: down });
    },
  );

  it.each<LifecycleState>(['starting', 'ready', 'draining', 'stopping'])('liveness is up in %s', (state) => {
    expect(indicatorFor(view(state, { reason: state === 'ready' ? undefined : 'x' })).liveness()).toEqual({
      lifecycle: { status: 'up', state, registration: 'none' },
    });
  });

  it('liveness is down once stopped, with the reason', () => {
    expect(indicatorFor(view('stopped', { reason: 'SIGTERM' })).liveness()).toEqual({
      lifecycle: { status: 'down', state: 'stopped', reason: 'SIGTERM', registration: 'none' },
    });
  });

  it("readiness 'registered': a failed registration keeps readiness down and shows the error", () => {
    const result = indicatorFor(
      view('starting', {
        reason: 'registering',
        registrationStatus: 'failed',
        registrationError: 'ECONNREFUSED 127.0.0.1:8500',
      }),
    ).readiness();
    expect(result).toEqual({
      lifecycle: {
        status: 'down',
        state: 'starting',
        reason: 'registering',
        registration: 'failed',
        registrationError: 'ECONNREFUSED 127.0.0.1:8500',
      },
    });
  });

  it("readiness 'listening': ready with a failed registration is up and still shows the error", () => {
    const result = indicatorFor(view('ready', { registrationStatus: 'failed', registrationError: 'boom' })).readiness();
    expect(result).toEqual({
      lifecycle: { status: 'up', state: 'ready', registration: 'failed', registrationError: 'boom' },
    });
  });

  it.each<RegistrationStatus>(['pending', 'registered', 'deregistered'])(
    'shows registration %s without an error',
    (status) => {
      const result = indicatorFor(
        view('ready', { registrationStatus: status, registrationError: 'stale' }),
      ).readiness();
      expect(result.lifecycle).toEqual({ status: 'up', state: 'ready', registration: status });
    },
  );

  it('takes a custom key, so it can sit beside other indicators', () => {
    expect(Object.keys(indicatorFor(view('ready')).readiness('graceful'))).toEqual(['graceful']);
    const draining = indicatorFor(view('draining', { reason: 'SIGTERM' }));
    expect(Object.keys((thrownBy(draining, 'graceful').getResponse() as { error: object }).error)).toEqual([
      'graceful',
    ]);
    expect(draining.liveness('alive').alive.status).toBe('up');
  });

  it('reads the state on every call: the flip is visible in the same tick', () => {
    const live = {
      state: 'ready' as LifecycleState,
      registrationStatus: 'none' as RegistrationStatus,
      reason: undefined as string | undefined,
    };
    const indicator = indicatorFor(live);
    expect(indicator.readiness().lifecycle.status).toBe('up');
    live.state = 'draining';
    live.reason = 'SIGTERM';
    expect(thrownBy(indicator).getResponse()).toMatchObject({
      error: { lifecycle: { status: 'down', state: 'draining', reason: 'SIGTERM' } },
    });
  });

  it('says what is missing when GracefulModule is not imported', () => {
    expect(() => new GracefulHealthIndicator(new HealthIndicatorService(), undefined)).toThrow(
      /GracefulModule\.forRoot\(\)/,
    );
  });
});
