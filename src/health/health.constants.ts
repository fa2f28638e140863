/**
 * @internal The problems of `GracefulHealthModule.forRoot()`'s options, provided globally so
 * that GracefulModule reports them at bootstrap in the same error as its own. This file
 * imports nothing, so the main entry can name the token without loading Terminus.
 */
export const HEALTH_OPTION_PROBLEMS = 'nestjs-graceful:HEALTH_OPTION_PROBLEMS';

/** @internal The provider that warns, at start, of another controller on the ready-made health routes. */
export const HEALTH_ROUTE_CHECK = 'nestjs-graceful:HEALTH_ROUTE_CHECK';
