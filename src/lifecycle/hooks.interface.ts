import type { AppInfo } from '../app-info/app-info.js';

export interface HookContext {
  readonly app: AppInfo;
  /** Fires when the hook's bound (`hookTimeout`) passes: stop what you are doing. */
  readonly signal: AbortSignal;
  /** Why the stop began (the signal's name or the reason given to `shutdown()`); undefined at start. */
  readonly reason?: string;
}

/** A kratos-style hook: `beforeStart`, `afterStart`, `beforeStop`, `afterStop`. */
export type LifecycleHook = (context: HookContext) => unknown;

export type HookName = 'beforeStart' | 'afterStart' | 'beforeStop' | 'afterStop';
