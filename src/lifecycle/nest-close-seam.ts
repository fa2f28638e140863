import type { INestApplicationContext } from '@nestjs/common';
import { NestApplicationContext } from '@nestjs/core';

/** Nest 12 runs `httpAdapter.beforeClose()` inside `close()` before any destroy hook; Nest 11 has no such seam. */
export const NEST_HAS_CLOSE_SEAM =
  typeof (NestApplicationContext.prototype as unknown as { prepareClose?: unknown }).prepareClose === 'function';

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
 * Why this app cannot drain before Nest's teardown, if it cannot: without
 * `enableGracefulShutdown(app)` on Nest 11 (or with no HTTP adapter), or with Nest 11's
 * `enableShutdownHooks()`, whose handler runs `onModuleDestroy` before the drain.
 */
export function closeSeamProblem(attachedApp: unknown, hasHttpServer: boolean): string | undefined {
  if (!attachedApp && !(NEST_HAS_CLOSE_SEAM && hasHttpServer)) {
    return (
      'nestjs-graceful: without enableGracefulShutdown(app) Nest would tear the app down before the drain ' +
      (hasHttpServer ? '(this Nest version runs onModuleDestroy at once in close())' : '(this app has no HTTP adapter)') +
      '. Add `enableGracefulShutdown(app)` right after NestFactory.create() in main.ts (in tests: after createNestApplication()).'
    );
  }
  if (!NEST_HAS_CLOSE_SEAM && (attachedApp as { shutdownCleanupRef?: unknown } | undefined)?.shutdownCleanupRef) {
    return (
      'nestjs-graceful: on Nest 11, the handler app.enableShutdownHooks() installs runs onModuleDestroy before the drain. ' +
      'Remove app.enableShutdownHooks(): enableGracefulShutdown(app) already handles the stop signals.'
    );
  }
  return undefined;
}
