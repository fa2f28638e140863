export { GracefulHealthModule } from './graceful-health.module';
export { GracefulHealthIndicator } from './graceful-health.indicator';
export { DEFAULT_HEALTH_PATHS, type GracefulHealthOptions, type GracefulHealthPaths } from './health-options';
export type { LifecycleHealthDetails } from './health-details';
