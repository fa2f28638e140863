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

  it.each<[LifecycleState, string | undefined, string]>([
    ['starting', undefined, 'not started yet: waiting for the HTTP server to listen and the beforeStart hooks'],
    ['starting', 'registering', 'registering'],
    ['draining', 'SIGTERM', 'SIGTERM'],
    ['stopping', 'SIGTERM', 'SIGTERM'],
    ['stopped', 'app.close()', 'app.close()'],
  ])('readiness is down in %s (reason %s) with the state and reason in the body', (state, reason, expected) => {
    expect(indicatorFor(view(state, { reason })).readiness()).toEqual({
      lifecycle: { status: 'down', state, reason: expected, registration: 'none' },
    });
  });

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
      view('starting', { reason: 'registering', registrationStatus: 'failed', registrationError: 'ECONNREFUSED 127.0.0.1:8500' }),
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
    expect(result).toEqual({ lifecycle: { status: 'up', state: 'ready', registration: 'failed', registrationError: 'boom' } });
  });

  it.each<RegistrationStatus>(['pending', 'registered', 'deregistered'])('shows registration %s without an error', (status) => {
    const result = indicatorFor(view('ready', { registrationStatus: status, registrationError: 'stale' })).readiness();
    expect(result.lifecycle).toEqual({ status: 'up', state: 'ready', registration: status });
  });

  it('takes a custom key, so it can sit beside other indicators', () => {
    const indicator = indicatorFor(view('draining', { reason: 'SIGTERM' }));
    expect(Object.keys(indicator.readiness('graceful'))).toEqual(['graceful']);
    expect(indicator.liveness('alive').alive.status).toBe('up');
  });

  it('reads the state on every call: the flip is visible in the same tick, never by a throw', () => {
    const live = { state: 'ready' as LifecycleState, registrationStatus: 'none' as RegistrationStatus, reason: undefined as string | undefined };
    const indicator = indicatorFor(live);
    expect(indicator.readiness().lifecycle.status).toBe('up');
    live.state = 'draining';
    live.reason = 'SIGTERM';
    expect(() => indicator.readiness()).not.toThrow();
    expect(indicator.readiness().lifecycle).toMatchObject({ status: 'down', state: 'draining', reason: 'SIGTERM' });
  });

  it('says what is missing when GracefulModule is not imported', () => {
    expect(() => new GracefulHealthIndicator(new HealthIndicatorService(), undefined)).toThrow(/GracefulModule\.forRoot\(\)/);
  });
});
