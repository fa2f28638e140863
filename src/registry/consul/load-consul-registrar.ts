import type { ConsulRegistrar } from './consul-registrar.js';
import type { ConsulRegistrarOptions } from './consul-registrar-options.js';

type ConsulRegistrarModule = typeof import('./consul-registrar.js');

/**
 * Builds a {@link ConsulRegistrar}, loading it (and the optional `consul` package with it) only
 * now: the main entry of nestjs-graceful must not load `consul` for apps that do not use it.
 *
 * `import()` keeps each copy of the package in its own format: the ESM copy gets its ESM
 * registrar, the CommonJS copy its CommonJS one. `require()` is the fallback for CommonJS code
 * that cannot `import()`: Jest's CommonJS sandbox without `--experimental-vm-modules`.
 */
export async function createConsulRegistrar(options: ConsulRegistrarOptions): Promise<ConsulRegistrar> {
  let loaded: ConsulRegistrarModule;
  try {
    loaded = await import('./consul-registrar.js');
  } catch (importError) {
    if (typeof require !== 'function') throw explainMissingConsul(importError);
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS build, where import() failed
      loaded = require('./consul-registrar.js') as ConsulRegistrarModule;
    } catch (requireError) {
      throw explainMissingConsul(requireError);
    }
  }
  return new loaded.ConsulRegistrar(options);
}

function explainMissingConsul(error: unknown): unknown {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  const notFound = code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND';
  if (!notFound || typeof message !== 'string' || !/['"]consul['"]/.test(message)) return error;
  return new Error(
    'nestjs-graceful: the "consul" option needs the `consul` package, an optional peer dependency that is not ' +
      'installed: run `npm install consul`',
  );
}
