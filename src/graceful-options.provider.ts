import { Logger, type FactoryProvider } from '@nestjs/common';
import { HEALTH_OPTION_PROBLEMS } from './health/health.constants.js';
import { GRACEFUL_OPTIONS } from './lifecycle/lifecycle.constants.js';
import { openSecrets, RAW_GRACEFUL_OPTIONS } from './graceful-module-definition.js';
import type { GracefulOptions, ResolvedGracefulOptions } from './graceful-options.js';
import { createConsulRegistrar } from './registry/consul/load-consul-registrar.js';
import { validateOptions } from './validate-options.js';

/**
 * Validates the options (with the health module's problems, to throw them all in one error)
 * and turns `consul` into the registrar, loading the Consul client only then; the result
 * never holds the raw `consul` fields.
 */
export async function resolveModuleOptions(
  sealed: GracefulOptions | undefined,
  healthProblems?: readonly string[],
): Promise<ResolvedGracefulOptions> {
  const raw = openSecrets(sealed);
  const options = validateOptions(raw, { otherProblems: healthProblems });
  if (raw?.consul)
    options.registrar = await createConsulRegistrar({ logger: new Logger('GracefulConsul'), ...raw.consul });
  return options;
}

/** What the options provider injects: the module's raw options and, when GracefulHealthModule has any, its problems. */
export const OPTIONS_PROVIDER_INJECT = [RAW_GRACEFUL_OPTIONS, { token: HEALTH_OPTION_PROBLEMS, optional: true }];

/** `GRACEFUL_OPTIONS`: the validated options of this app. */
export const gracefulOptionsProvider: FactoryProvider<Promise<ResolvedGracefulOptions>> = {
  provide: GRACEFUL_OPTIONS,
  inject: OPTIONS_PROVIDER_INJECT,
  useFactory: resolveModuleOptions,
};
