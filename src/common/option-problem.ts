import { describeKind, describeValue } from './describe-value.js';

/** One bad option, as the bootstrap error lists it. */
export interface OptionProblem {
  /** The option's path as the user wrote it, e.g. `signals` or `consul.check.ttl`. */
  option: string;
  value: unknown;
  /** What is allowed, completing "it must be …". */
  allowed: string;
  /** How to fix it, when "it must be …" does not already say. */
  fix?: string;
  /** A secret (a token, a key): the message names its kind, never its value. */
  secret?: boolean;
  /** Where the option is given, when it is not `GracefulModule.forRoot()`. */
  where?: string;
  /** `option` is the name of an environment variable the value came from. */
  env?: boolean;
}

/** `option "a.b" is <value>; it must be <allowed>. <fix>`: one line per problem. */
export function formatOptionProblem({ option, value, allowed, fix, secret, where, env }: OptionProblem): string {
  const shown = secret ? describeKind(value) : describeValue(value);
  const subject = env ? `the environment variable ${option}` : `option "${option}"${where ? ` of ${where}` : ''}`;
  return `${subject} is ${shown}; it must be ${allowed}${fix ? `. ${fix}` : ''}`;
}

/** For a key nobody knows: names the closest known one, then all of them. */
export function unknownOptionProblem(option: string, known: readonly string[], where?: string): string {
  const leaf = option.slice(option.lastIndexOf('.') + 1);
  const prefix = option.slice(0, option.length - leaf.length);
  const closest = closestName(leaf, known);
  const guess = closest ? `did you mean "${prefix}${closest}"? ` : '';
  const place = where ? ` of ${where}` : '';
  return (
    `unknown option "${option}"${place}; ${guess}the options${prefix ? ` of "${prefix.slice(0, -1)}"` : ''} ` +
    `are: ${known.join(', ')}`
  );
}

/** The heading and one indented line per problem: every problem in one message. */
export function formatProblemList(heading: string, problems: readonly string[]): string {
  return `${heading}:\n  - ${problems.join('\n  - ')}`;
}

/**
 * An error whose message lists every problem. `problems` is a getter over a private field, not
 * an own property: Nest's logger prints a thrown error with util.inspect, which shows own
 * properties after the stack, so the list used to be printed twice.
 */
export class OptionProblemsError extends Error {
  readonly #problems: string[];

  constructor(heading: string, problems: string[]) {
    super(formatProblemList(heading, problems));
    this.#problems = problems;
  }

  /** Each problem, one sentence each, as the message lists them. */
  get problems(): string[] {
    return this.#problems;
  }
}

/** The known name within two edits (case aside) of `name`, or that it begins, if one is that close. */
function closestName(name: string, known: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  const lower = name.toLowerCase();
  for (const candidate of known) {
    const other = candidate.toLowerCase();
    const distance = lower.length >= 3 && other.startsWith(lower) ? 1 : editDistance(lower, other);
    if (distance <= 2 && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
