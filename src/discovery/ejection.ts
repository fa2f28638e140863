/**
 * The longest ejection is this many times `ejectionTime`: three doublings. It bounds how long a
 * replacement listening at the same address can be left out while others serve (8 s by default),
 * whereas Consul can go on listing a closed instance for 3-7 s (bench:fleet's cluster faults).
 */
const MAX_EJECTION_FACTOR = 8;

/**
 * @internal Passive outlier ejection of one instance (Envoy's, for connect failures only): a
 * connection that could not be made takes the instance out of picks for `base` ms, doubled at
 * each further one up to {@link MAX_EJECTION_FACTOR} times, until a request sent to it after
 * the ejection gets a response.
 */
export class Ejection {
  /** Ejections since the last response: the exponent of the next one. */
  private count = 0;
  /** Ejections ever: a request records it when sent, to tell whether it was sent before the last one. */
  private ejections = 0;
  private until = Number.NEGATIVE_INFINITY;

  constructor(private readonly base: number) {}

  /** Left out of picks now. */
  get active(): boolean {
    return performance.now() < this.until;
  }

  /**
   * A connection to it could not be made: the ms it is out for, or undefined when it already is
   * (a request picked before the ejection failing in turn) or ejection is off.
   */
  eject(): number | undefined {
    if (this.base === 0 || this.active) return undefined;
    const ms = Math.min(this.base * 2 ** this.count, this.base * MAX_EJECTION_FACTOR);
    this.count++;
    this.ejections++;
    this.until = performance.now() + ms;
    return ms;
  }

  /** What a request records when it is sent, for {@link answered}. */
  get generation(): number {
    return this.ejections;
  }

  /**
   * A request sent at `generation` got its response head: back in rotation, true when it had
   * been ejected. Not one sent before the last ejection: a stopping instance still answers the
   * requests it had while its listener refuses new connections.
   */
  answered(generation: number): boolean {
    if (this.count === 0 || generation !== this.ejections) return false;
    this.lift();
    return true;
  }

  /** Discovery listed it again after it had left: a new registration, maybe a new process. */
  lift(): void {
    this.count = 0;
    this.until = Number.NEGATIVE_INFINITY;
  }
}
