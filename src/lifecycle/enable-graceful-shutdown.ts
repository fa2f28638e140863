import type { INestApplicationContext } from '@nestjs/common';
import { GracefulLifecycle } from './graceful-lifecycle';

/**
 * The one line in main.ts, in place of `app.enableShutdownHooks()`: installs the
 * library's signal handlers for this app and makes every `app.close()` drain first (the
 * only way on Nest 11). Call it right after `NestFactory.create()`, before `listen()`.
 */
export function enableGracefulShutdown<T extends INestApplicationContext>(app: T): GracefulLifecycle {
  let lifecycle: GracefulLifecycle;
  try {
    lifecycle = app.get(GracefulLifecycle, { strict: false });
  } catch {
    throw new Error('nestjs-graceful: enableGracefulShutdown(app) found no GracefulModule: import GracefulModule.forRoot() in the root module.');
  }
  lifecycle.attach(app);
  return lifecycle;
}
