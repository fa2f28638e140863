export { GracefulHealthModule } from './graceful-health.module.js';
export { GracefulHealthIndicator } from './graceful-health.indicator.js';
export { DEFAULT_HEALTH_PATHS, type GracefulHealthOptions, type GracefulHealthPaths } from './health-options.js';
export type { LifecycleHealthDetails } from './health-details.js';
