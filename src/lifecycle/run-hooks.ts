import type { Logger } from '@nestjs/common';
import { bounded, describeError } from '../common/bounded.js';
import type { HookContext, HookName, LifecycleHook } from './hooks.interface.js';

/** Runs hooks one after another, each bounded by `timeout`; returns the first failure, if any. */
export async function runHooks(
  name: HookName,
  hooks: readonly LifecycleHook[],
  context: Omit<HookContext, 'signal'>,
  timeout: number,
  logger: Logger,
): Promise<string | undefined> {
  let failure: string | undefined;
  for (const [index, hook] of hooks.entries()) {
    const label = hooks.length > 1 ? `${name}[${index}]` : name;
    const result = await bounded(timeout, (signal) => hook({ ...context, signal }));
    if (result.ok) {
      logger.log(`${label} hook done in ${result.ms} ms`);
    } else {
      const why = result.timedOut
        ? `timed out after ${timeout} ms (hookTimeout)`
        : `failed: ${describeError(result.error)}`;
      logger.error(`${label} hook ${why}`);
      failure ??= `${label} ${why}`;
    }
  }
  return failure;
}
