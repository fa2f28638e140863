import type { LifecycleState } from '../lifecycle/lifecycle-state.interface.js';
import type { RegistrationStatus } from '../registry/registration-status.interface.js';

/** What the indicator reads from the lifecycle: its public getters, nothing else. */
export interface LifecycleView {
  readonly state: LifecycleState;
  readonly reason?: string;
  readonly registrationStatus: RegistrationStatus;
  readonly registrationError?: string;
}

/** The body of one indicator result, besides Terminus' own `status`. */
export interface LifecycleHealthDetails {
  state: LifecycleState;
  /** Why the instance is not ready (readiness) or not alive (liveness); absent when it is. */
  reason?: string;
  registration: RegistrationStatus;
  /** Why the last registration attempt failed, while `registration` is `failed`. */
  registrationError?: string;
}

export interface LifecycleVerdict {
  up: boolean;
  details: LifecycleHealthDetails;
}

const NOT_STARTED = 'not started yet: waiting for the HTTP server to listen and the beforeStart hooks';

/**
 * Readiness: up only in `ready`. Whether a pending or failed registration keeps the state in
 * `starting` is the `readiness` option; the body shows the registration either way.
 */
export function readinessOf(lifecycle: LifecycleView): LifecycleVerdict {
  const up = lifecycle.state === 'ready';
  return { up, details: detailsOf(lifecycle, up) };
}

/** Liveness: up from `starting` until exit (every state but `stopped`), so a draining instance is never killed. */
export function livenessOf(lifecycle: LifecycleView): LifecycleVerdict {
  const up = lifecycle.state !== 'stopped';
  return { up, details: detailsOf(lifecycle, up) };
}

function detailsOf(lifecycle: LifecycleView, up: boolean): LifecycleHealthDetails {
  const reason = up
    ? undefined
    : (lifecycle.reason ?? (lifecycle.state === 'starting' ? NOT_STARTED : lifecycle.state));
  const details: LifecycleHealthDetails = {
    state: lifecycle.state,
    ...(reason !== undefined && { reason }),
    registration: lifecycle.registrationStatus,
  };
  if (lifecycle.registrationStatus === 'failed' && lifecycle.registrationError !== undefined) {
    details.registrationError = lifecycle.registrationError;
  }
  return details;
}
