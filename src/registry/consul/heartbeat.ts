/**
 * Runs `beat` every `intervalMs`, one at a time, on an unref'd timer (a heartbeat must never
 * keep the process alive). `stop()` aborts a beat in flight and waits for it, so nothing it
 * does (such as registering again) can land after the caller's next step (deregistering).
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private controller: AbortController | undefined;
  private stopped = false;

  constructor(
    private readonly intervalMs: number,
    /** Bound of one beat; a beat that hangs (a frozen agent) must not stall the next ones. */
    private readonly beatTimeoutMs: number,
    private readonly beat: (signal: AbortSignal) => Promise<void>,
    private readonly onError: (err: unknown) => void,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.controller?.abort(new Error('heartbeat stopped'));
    await this.inFlight;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.run(), this.intervalMs);
    this.timer.unref();
  }

  private run(): void {
    this.timer = undefined;
    const controller = new AbortController();
    this.controller = controller;
    const bound = setTimeout(
      () => controller.abort(new Error(`heartbeat took longer than ${this.beatTimeoutMs} ms`)),
      this.beatTimeoutMs,
    );
    bound.unref();
    this.inFlight = this.beat(controller.signal)
      .catch((err: unknown) => {
        if (!this.stopped) this.onError(err);
      })
      .finally(() => {
        clearTimeout(bound);
        this.inFlight = undefined;
        this.controller = undefined;
        this.schedule();
      });
  }
}
