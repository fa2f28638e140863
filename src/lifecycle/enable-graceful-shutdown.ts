import type { INestApplicationContext } from '@nestjs/common';
import type { GracefulLifecycle } from './graceful-lifecycle.js';
import { LifecycleService } from './lifecycle.service.js';

/**
 * The one line in main.ts, in place of `app.enableShutdownHooks()`: installs the
 * library's signal handlers for this app and makes every `app.close()` run the whole stop
 * (the only way on Nest 11). Call it right after `NestFactory.create()`, before `listen()`.
 */
export function enableGracefulShutdown<T extends INestApplicationContext>(app: T): GracefulLifecycle {
  let lifecycle: LifecycleService;
  try {
    lifecycle = app.get(LifecycleService, { strict: false });
  } catch {
    throw new Error(
      'nestjs-graceful: enableGracefulShutdown(app) found no GracefulModule: import GracefulModule.forRoot() in the ' +
        'root module.',
    );
  }
  lifecycle.attach(app);
  return lifecycle;
}
