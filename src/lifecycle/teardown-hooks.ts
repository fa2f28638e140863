import type { Logger } from '@nestjs/common';
import type { ModulesContainer } from '@nestjs/core';
import { describeError } from '../common/bounded.js';
import { appInstances } from '../common/nest-instances.js';

const HOOKS = ['onModuleDestroy', 'beforeApplicationShutdown', 'onApplicationShutdown'] as const;

type Hooked = Partial<Record<(typeof HOOKS)[number], (...args: unknown[]) => unknown>>;

/**
 * @internal Nest's teardown hooks, made to report their errors. Nest 12 logs and swallows an
 * error a destroy or shutdown hook throws (the teardown ends "ok", exit 0); Nest 11 stops its
 * teardown at the first one (the later hooks and the server's close never run). Each hook of
 * the app's instances is wrapped so that its error is logged and kept, and the teardown goes
 * on: on both versions every hook runs and the teardown phase fails with the errors.
 */
export class TeardownHooks {
  private readonly errors: string[] = [];
  private watched = false;

  constructor(private readonly logger: Logger) {}

  /** What failed, once the teardown ran; undefined when every hook succeeded. */
  get failure(): string | undefined {
    return this.errors.length === 0 ? undefined : this.errors.join('; ');
  }

  /** At the stop's start, before Nest can call any of them. Calling it again does nothing. */
  watch(modules: ModulesContainer): void {
    if (this.watched) return;
    this.watched = true;
    for (const instance of appInstances(modules)) this.wrap(instance);
  }

  private wrap(instance: unknown): void {
    // A frozen or sealed instance keeps its hooks unwrapped: Nest's own handling applies to it.
    if (typeof instance !== 'object' || instance === null || !Object.isExtensible(instance)) return;
    const hooked = instance as Hooked;
    for (const hook of HOOKS) {
      const original = hooked[hook];
      if (typeof original !== 'function') continue;
      const owner = (instance.constructor as { name?: string } | undefined)?.name ?? 'an instance';
      const wrapped = async (...args: unknown[]): Promise<void> => {
        try {
          await original.apply(instance, args);
        } catch (error) {
          const message = `${owner}.${hook}() failed: ${describeError(error)}`;
          this.logger.error(message, error instanceof Error ? error.stack : undefined);
          this.errors.push(message);
        }
      };
      Object.defineProperty(instance, hook, { configurable: true, writable: true, value: wrapped });
    }
  }
}
