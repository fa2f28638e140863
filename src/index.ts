// The main entry. It loads neither `consul` nor `@nestjs/terminus` (optional peers): their parts
// have their own entries, nestjs-graceful/consul (src/registry/consul) and nestjs-graceful/health
// (src/health). The `consul` option loads the Consul registrar only when it is set.
export { GracefulModule } from './graceful.module.js';
export { GRACEFUL_OPTIONS } from './lifecycle/lifecycle.constants.js';
export type { GracefulOptions, ReadinessPolicy, ResolvedGracefulOptions } from './graceful-options.js';
export { DEFAULT_OPTIONS } from './graceful-options.js';
export { GracefulOptionsError } from './validate-options.js';
export { APP_INFO, InjectAppInfo, type AppInfo } from './app-info/app-info.js';
export { GracefulLifecycle } from './lifecycle/graceful-lifecycle.js';
export { enableGracefulShutdown } from './lifecycle/enable-graceful-shutdown.js';
export { StopSignals } from './drain/stop-signals.service.js';
export type { LifecycleState } from './lifecycle/lifecycle-state.interface.js';
export type { RegistrationStatus } from './registry/registration-status.interface.js';
export type { HookContext, LifecycleHook } from './lifecycle/hooks.interface.js';
export type { StopReport, StopFailure, PhaseRecord, PhaseName } from './lifecycle/stop-report.js';
export { WorkTracker } from './drain/work-tracker.service.js';
export { GracefulInterceptor } from './drain/graceful.interceptor.js';
export type { PendingUnit, WorkHandle, WorkKind } from './drain/work-unit.interface.js';
export type { Registrar } from './registry/registrar.interface.js';
export type { Discovery, Watcher } from './registry/discovery.interface.js';
export type { ServiceInstance } from './registry/service-instance.interface.js';
