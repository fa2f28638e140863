// The nestjs-graceful/health entry: the Terminus indicator and the ready-made health module. It
// loads `@nestjs/terminus`, an optional peer dependency (the main entry never does): first
// comes the check that says how to install it.
import './terminus-check.js';
export { GracefulHealthModule } from './graceful-health.module.js';
export { GracefulHealthIndicator } from './graceful-health.indicator.js';
export { DEFAULT_HEALTH_PATHS, type GracefulHealthOptions, type GracefulHealthPaths } from './health-options.js';
export type { LifecycleHealthDetails } from './health-details.js';
