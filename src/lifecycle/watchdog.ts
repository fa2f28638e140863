/**
 * One timer for the whole stop: if the stop has not ended when it fires, the stop is stuck
 * (a hook, a teardown or a registrar ignoring its bound) and `onExpire` decides what to do.
 */
export class Watchdog {
  private timer?: NodeJS.Timeout;

  /**
   * `keepAlive`: hold the process open until the stop ends or the timer fires. Only for a
   * signal-started stop that may exit: a teardown stuck on a promise with no I/O behind it
   * would otherwise let Node end with code 0 halfway through. Any other stop leaves the
   * process's life to its owner (a test runner, a script).
   */
  arm(ms: number, keepAlive: boolean, onExpire: () => void): void {
    this.disarm();
    this.timer = setTimeout(onExpire, ms);
    if (!keepAlive) this.timer.unref();
  }

  disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
