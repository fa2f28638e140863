/**
 * `starting` → `ready` → `draining` → `stopping` → `stopped` (see LIFECYCLE.md).
 * Liveness is up in all but `stopped`; readiness only in `ready`.
 */
export type LifecycleState = 'starting' | 'ready' | 'draining' | 'stopping' | 'stopped';

/** Where the registration of the instance stands; readiness may depend on it. */
export type RegistrationStatus = 'none' | 'pending' | 'registered' | 'failed' | 'deregistered';
