/**
 * `starting` → `ready` → `draining` → `stopping` → `stopped` (see docs/lifecycle.md).
 * Liveness is up in all but `stopped`; readiness only in `ready`.
 */
export type LifecycleState = 'starting' | 'ready' | 'draining' | 'stopping' | 'stopped';
