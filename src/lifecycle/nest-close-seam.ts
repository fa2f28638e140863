import type { INestApplicationContext } from '@nestjs/common';

/** `close()` takes the signal's name, which Nest passes to `onApplicationShutdown(signal)`. */
export type NestClose = (signal?: string) => Promise<void>;

/**
 * Makes every `app.close()` run `stop` instead (the only seam Nest 11 has), and returns
 * Nest's own close for `stop` to call as its teardown.
 */
export function replaceClose(app: INestApplicationContext, stop: (signal?: string) => Promise<unknown>): NestClose {
  // The function itself, not through NestFactory's proxy, which would call our replacement again.
  const own = (Object.getOwnPropertyDescriptor(app, 'close')?.value ?? Object.getPrototypeOf(app).close) as NestClose;
  // defineProperty, because the proxy NestFactory returns ignores plain assignments.
  Object.defineProperty(app, 'close', {
    configurable: true,
    writable: true,
    value: (signal?: string) => stop(signal).then(() => undefined),
  });
  return own.bind(app);
}

/** What Nest 12 calls inside `close()` before any destroy hook. */
export interface CloseSeamAdapter {
  beforeClose?: () => unknown;
}

/** On Nest 12, runs `drain` inside `app.close()` before Nest's destroy hooks, however the close was called. */
export function drainBeforeClose(adapter: CloseSeamAdapter, drain: () => Promise<void>): void {
  const previous = adapter.beforeClose?.bind(adapter);
  adapter.beforeClose = async () => {
    await drain();
    await previous?.();
  };
}

/**
 * Why this app cannot run the whole stop, if it cannot. Without `enableGracefulShutdown(app)`
 * the library holds no reference to the app: no signal reaches it (with no shutdown hooks, a
 * SIGTERM kills the process at once), its microservices, gRPC and broker transports are out
 * of reach (Nest 12's `beforeClose()` seam drains HTTP only), and on Nest 11 Nest tears down
 * before any drain. With Nest's own `enableShutdownHooks()` as well, Nest's handler runs its
 * own close (on Nest 11, `onModuleDestroy` before the drain) and ends the process with the
 * signal, whatever the stop report and the process's other apps say.
 */
export function closeSeamProblem(attachedApp: INestApplicationContext | undefined): string | undefined {
  if (!attachedApp) {
    return (
      'nestjs-graceful: GracefulModule is imported but enableGracefulShutdown(app) was not called, so a stop signal ' +
      'would ' +
      'kill the app or let Nest tear it down without the whole stop (transports left undrained, the exit code not ' +
      "the report's). " +
      'Add `enableGracefulShutdown(app)` right after NestFactory.create() in main.ts (in tests: after ' +
      'createNestApplication()), ' +
      'in place of app.enableShutdownHooks() if you call it.'
    );
  }
  if (nestShutdownHooksOn(attachedApp)) {
    return (
      'nestjs-graceful: app.enableShutdownHooks() installs a handler that runs its own close (on Nest 11, ' +
      'onModuleDestroy before the drain) ' +
      'and ends the process with the signal, whatever the stop report says. ' +
      'Remove app.enableShutdownHooks(): enableGracefulShutdown(app) already handles the stop signals.'
    );
  }
  return undefined;
}

/** Nest 12 keeps a handler per signal in `shutdownCleanupRefs`, Nest 11 one in `shutdownCleanupRef`. */
function nestShutdownHooksOn(app: INestApplicationContext): boolean {
  const own = app as unknown as { shutdownCleanupRefs?: Map<unknown, unknown>; shutdownCleanupRef?: unknown };
  return (own.shutdownCleanupRefs?.size ?? 0) > 0 || Boolean(own.shutdownCleanupRef);
}
