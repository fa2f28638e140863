/** How a client chooses among the instances it may send a request to. */
export type BalancerName = 'p2c' | 'round-robin';

/** @internal What a balancer looks at: the requests an instance is answering now. */
export interface Candidate {
  readonly inFlight: number;
}

/** @internal */
export interface Balancer {
  /** One of `candidates` (never empty). */
  pick<T extends Candidate>(candidates: readonly T[]): T;
}

/**
 * @internal Power of two choices: two distinct instances at random, the one with fewer
 * requests in flight wins. Nearly as even as least-loaded, without its herding: every
 * client sending to the one instance that looks idle at the same moment.
 */
export class PowerOfTwoChoices implements Balancer {
  constructor(private readonly random: () => number = Math.random) {}

  pick<T extends Candidate>(candidates: readonly T[]): T {
    if (candidates.length === 1) return candidates[0]!;
    const first = Math.floor(this.random() * candidates.length);
    let second = Math.floor(this.random() * (candidates.length - 1));
    if (second >= first) second++;
    const a = candidates[first]!;
    const b = candidates[second]!;
    return b.inFlight < a.inFlight ? b : a;
  }
}

/** @internal Each instance in turn, whatever its load. */
export class RoundRobin implements Balancer {
  private turn = 0;

  pick<T extends Candidate>(candidates: readonly T[]): T {
    const chosen = candidates[this.turn % candidates.length]!;
    this.turn = (this.turn + 1) % Number.MAX_SAFE_INTEGER;
    return chosen;
  }
}

/** @internal */
export function createBalancer(name: BalancerName): Balancer {
  return name === 'round-robin' ? new RoundRobin() : new PowerOfTwoChoices();
}
