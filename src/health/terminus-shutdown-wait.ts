import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { GRACEFUL_OPTIONS } from '../lifecycle/lifecycle.constants.js';
import type { ResolvedGracefulOptions } from '../graceful-options.js';

/**
 * Terminus' token for its module options ('TERMINUS:MODULE_OPTIONS' in v11 and v12); a string, so no import of
 * terminus.
 */
const TERMINUS_MODULE_OPTIONS = 'TERMINUS:MODULE_OPTIONS';

interface TerminusOptionsLike {
  gracefulShutdownTimeoutMs?: number;
}

/**
 * `TerminusModule.forRoot({ gracefulShutdownTimeoutMs })` sleeps in `beforeApplicationShutdown`
 * on SIGTERM. Under nestjs-graceful that runs after the listener closed and the work drained, so
 * it would only delay the teardown (and eat into `teardownTimeout`). At bootstrap this sets
 * Terminus' wait to 0 and moves it where it helps: `shutdownDelay` becomes at least that long.
 * It imports nothing from Terminus and does nothing when Terminus is absent.
 */
@Injectable()
export class TerminusShutdownWait implements OnApplicationBootstrap {
  private readonly logger = new Logger('Graceful');

  constructor(
    private readonly moduleRef: ModuleRef,
    @Inject(GRACEFUL_OPTIONS) private readonly options: ResolvedGracefulOptions,
  ) {}

  onApplicationBootstrap(): void {
    let found: unknown[];
    try {
      found = this.moduleRef.get(TERMINUS_MODULE_OPTIONS, { strict: false, each: true }) as unknown[];
    } catch {
      return; // no TerminusModule in the app
    }
    const waits = [...new Set(found)].filter(
      (o): o is TerminusOptionsLike =>
        typeof o === 'object' &&
        o !== null &&
        typeof (o as TerminusOptionsLike).gracefulShutdownTimeoutMs === 'number' &&
        (o as TerminusOptionsLike).gracefulShutdownTimeoutMs! > 0,
    );
    if (waits.length === 0) return;
    const ms = Math.max(...waits.map((o) => o.gracefulShutdownTimeoutMs!));
    const unset = waits.filter((o) => !neutralise(o));
    const before = this.options.shutdownDelay;
    const intro =
      `TerminusModule's gracefulShutdownTimeoutMs (${ms} ms) would sleep in beforeApplicationShutdown, ` +
      `after nestjs-graceful has closed the listener and drained the work: it would only delay the teardown.`;
    // Under gracefulTestingFactory() every app.close() must stay fast; Terminus itself only waits on SIGTERM.
    if (this.options.testing) return;
    if (unset.length > 0) {
      this.logger.warn(
        `${intro} It could not be set to 0 (its options object is frozen): remove gracefulShutdownTimeoutMs and set ` +
          `shutdownDelay (now ${before} ms) instead.`,
      );
      return;
    }
    if (before < ms) {
      this.options.shutdownDelay = ms;
      this.logger.warn(
        `${intro} nestjs-graceful set it to 0 and raised shutdownDelay from ${before} to ${ms} ms, which keeps ` +
          `serving that long before the listener closes. Set shutdownDelay: ${ms} and remove ` +
          `gracefulShutdownTimeoutMs to silence this warning.`,
      );
    } else {
      this.logger.warn(
        `${intro} nestjs-graceful set it to 0: shutdownDelay (${before} ms) already keeps serving at least that long ` +
          `before the listener closes. Remove gracefulShutdownTimeoutMs to silence this warning.`,
      );
    }
  }
}

function neutralise(options: TerminusOptionsLike): boolean {
  try {
    options.gracefulShutdownTimeoutMs = 0;
    return options.gracefulShutdownTimeoutMs === 0;
  } catch {
    return false;
  }
}
