import { ConfigurableModuleBuilder, type DynamicModule, type Provider } from '@nestjs/common';
import { Sealed } from './common/sealed.js';
import type { GracefulOptions } from './graceful-options.js';

export const {
  ConfigurableModuleClass: GracefulConfigurableModule,
  MODULE_OPTIONS_TOKEN: RAW_GRACEFUL_OPTIONS,
  OPTIONS_TYPE: GRACEFUL_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: GRACEFUL_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<GracefulOptions>({ moduleName: 'Graceful' })
  .setClassMethodName('forRoot')
  // Always global: one lifecycle per app, injectable anywhere.
  .setExtras({}, (definition) => ({ ...definition, global: true }))
  .build();

const SECRET_FIELDS = ['token', 'key'] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The options with `consul.token` and `consul.key` sealed, so Nest's container holds no readable secret. */
function seal(options: unknown): unknown {
  if (!isObject(options) || !isObject(options.consul)) return options;
  const consul = { ...options.consul };
  for (const field of SECRET_FIELDS) if (consul[field] !== undefined) consul[field] = new Sealed(consul[field]);
  return { ...options, consul };
}

/** The options as given, secrets opened: for validation and the registrar only, never kept. */
export function openSecrets(options: GracefulOptions | undefined): GracefulOptions | undefined {
  if (!isObject(options) || !isObject(options.consul)) return options;
  const consul: Record<string, unknown> = { ...options.consul };
  for (const field of SECRET_FIELDS)
    if (consul[field] instanceof Sealed) consul[field] = (consul[field] as Sealed<unknown>).open();
  return { ...options, consul };
}

/**
 * Seals the secrets of the raw options provider, whatever form made it (`useValue` from
 * `forRoot()`, `useFactory` from every `forRootAsync()` form): the container, a dump of the
 * app and `app.get()` of the options token then show `[redacted]`.
 */
export function sealSecrets(module: DynamicModule): DynamicModule {
  const providers = module.providers?.map((provider): Provider => {
    if (!isObject(provider) || provider.provide !== RAW_GRACEFUL_OPTIONS) return provider as Provider;
    if ('useValue' in provider) return { ...provider, useValue: seal(provider.useValue) } as Provider;
    if (typeof provider.useFactory === 'function') {
      const factory = provider.useFactory as (...args: unknown[]) => unknown;
      return { ...provider, useFactory: async (...args: unknown[]) => seal(await factory(...args)) } as Provider;
    }
    return provider as Provider;
  });
  return { ...module, providers };
}
