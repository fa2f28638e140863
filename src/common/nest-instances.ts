import type { ModulesContainer } from '@nestjs/core';

/** What Nest keeps of a provider, controller or injectable (the parts read here). */
interface InstanceWrapperLike {
  readonly instance?: unknown;
  readonly isTransient?: boolean;
  getStaticTransientInstances?(): Array<{ instance?: unknown } | undefined>;
}

/**
 * @internal Every instance the app's modules hold: providers, controllers, injectables and
 * middleware, each transient provider's static instances included.
 */
export function appInstances(modules: ModulesContainer): unknown[] {
  const instances: unknown[] = [];
  for (const module of modules.values()) {
    for (const wrappers of [module.providers, module.controllers, module.injectables, module.middlewares]) {
      for (const wrapper of (wrappers as Map<unknown, InstanceWrapperLike>).values()) {
        if (!wrapper.isTransient) instances.push(wrapper.instance);
        else instances.push(...(wrapper.getStaticTransientInstances?.() ?? []).map((item) => item?.instance));
      }
    }
  }
  return instances;
}
