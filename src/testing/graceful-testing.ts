import { deepFreeze } from '../common/deep-freeze.js';
import { openSecrets } from '../graceful-module-definition.js';
import type { GracefulOptions, ResolvedGracefulOptions } from '../graceful-options.js';
import { OPTIONS_PROVIDER_INJECT, resolveModuleOptions } from '../graceful-options.provider.js';

/**
 * What tests change: no signal handler (the test runner owns the process), no delay before
 * the listener closes, never `process.exit`. Frozen.
 */
export const GRACEFUL_TESTING_OPTIONS = deepFreeze({
  signals: [] as NodeJS.Signals[],
  shutdownDelay: 0,
  exit: false,
} satisfies GracefulOptions);

/**
 * Options for `GracefulModule.forRoot()` in a module a test builds itself: `options` over
 * {@link GRACEFUL_TESTING_OPTIONS}. No registry unless `options` names one.
 *
 * ```ts
 * imports: [GracefulModule.forRoot(gracefulTestingOptions({ stopTimeout: 2_000 }))]
 * ```
 */
export function gracefulTestingOptions(options: GracefulOptions = {}): GracefulOptions {
  return { ...GRACEFUL_TESTING_OPTIONS, signals: [], ...options };
}

/** What `overrideProvider(token).useFactory()` of `@nestjs/testing` takes. */
export interface GracefulTestingFactory {
  factory: (raw: GracefulOptions | undefined, healthProblems?: readonly string[]) => Promise<ResolvedGracefulOptions>;
  inject: unknown[];
}

/**
 * Keeps the app's own options (name, hooks, bounds) but drops what a test must not have:
 * signal handlers, `shutdownDelay`, `exit` and the registry (`consul`, `registrar`), unless
 * `overrides` gives them back. For an app module you import unchanged:
 *
 * ```ts
 * const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
 *   .overrideProvider(GRACEFUL_OPTIONS)
 *   .useFactory(gracefulTestingFactory())
 *   .compile();
 * ```
 *
 * Also Terminus' `gracefulShutdownTimeoutMs` is not moved into `shutdownDelay` then.
 */
export function gracefulTestingFactory(overrides: GracefulOptions = {}): GracefulTestingFactory {
  return {
    inject: OPTIONS_PROVIDER_INJECT,
    factory: async (raw, healthProblems) => {
      const { consul: _consul, registrar: _registrar, ...app } = openSecrets(raw) ?? {};
      const options = await resolveModuleOptions({ ...app, ...gracefulTestingOptions(overrides) }, healthProblems);
      options.testing = true;
      return options;
    },
  };
}
