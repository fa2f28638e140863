import { constants } from 'node:os';
import { MAX_TIMER_MS } from './common/timers.js';

/** What a bad value should have been, completing "it must be …", and how to fix it when that is not obvious. */
export interface Verdict {
  allowed: string;
  fix?: string;
}

/** `undefined` when the value is fine. */
export type Check = (value: unknown) => Verdict | undefined;

const verdict = (ok: boolean, allowed: string, fix?: string): Verdict | undefined =>
  ok ? undefined : { allowed, fix };
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

const durationFrom =
  (min: number): Check =>
  (v) =>
    verdict(
      typeof v === 'number' && Number.isInteger(v) && v >= min && v <= MAX_TIMER_MS,
      `a whole number of milliseconds from ${min} to ${MAX_TIMER_MS}`,
      typeof v === 'string' ? 'Give a number, not a string: 10 s is 10000' : undefined,
    );
export const duration = durationFrom(0);
export const positiveDuration = durationFrom(1);

export const boolean: Check = (v) => verdict(typeof v === 'boolean', 'true or false');

export const nonEmptyString: Check = (v) => verdict(typeof v === 'string' && v.trim() !== '', 'a non-empty string');

export const stringRecord: Check = (v) =>
  verdict(
    isObject(v) && Object.values(v).every((x) => typeof x === 'string'),
    'an object whose values are strings',
    'Write numbers and flags as strings, e.g. { replicas: "3" }',
  );

export const endpointList: Check = (v) =>
  verdict(
    Array.isArray(v) && v.every((e) => typeof e === 'string' && URL.canParse(e) && new URL(e).host !== ''),
    'an array of URLs such as "http://10.0.0.5:3000"',
    'Give the scheme and host of each endpoint, or leave the option out to have them detected after listen()',
  );

export const hooks: Check = (v) =>
  verdict(
    typeof v === 'function' || (Array.isArray(v) && v.every((h) => typeof h === 'function')),
    'a function or an array of functions',
  );

export const registrar: Check = (v) =>
  verdict(
    isObject(v) && typeof v.register === 'function' && typeof v.deregister === 'function',
    'an object with register(instance, signal) and deregister(instance, signal) methods',
    'Implement the Registrar interface, or use the "consul" option to register in Consul',
  );

export const consulObject: Check = (v) =>
  verdict(
    isObject(v),
    'an object of Consul options such as { address: "127.0.0.1:8500" }',
    'Give {} to take CONSUL_HTTP_ADDR and every default',
  );

export const readiness: Check = (v) =>
  verdict(
    v === 'listening' || v === 'registered',
    `"listening" (ready once the server listens) or "registered" (ready once the registry accepted the instance)`,
  );

/** Signals whose listener can never start a stop, and why. */
const UNUSABLE_SIGNALS: Readonly<Record<string, string>> = {
  SIGKILL: 'cannot be caught',
  SIGSTOP: 'cannot be caught',
  SIGBUS: 'is a fault signal: after a real one Node cannot run JavaScript',
  SIGFPE: 'is a fault signal: after a real one Node cannot run JavaScript',
  SIGILL: 'is a fault signal: after a real one Node cannot run JavaScript',
  SIGSEGV: 'is a fault signal: after a real one Node cannot run JavaScript',
  SIGUSR1: 'is reserved by Node.js to start the inspector',
};

/** Why one signal name cannot be a stop signal on this platform, or `undefined` when it can. */
export function signalProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return `${typeof name} is not a signal name`;
  if (!Object.hasOwn(constants.signals, name)) {
    const upper = name.toUpperCase();
    const hint = upper !== name && Object.hasOwn(constants.signals, upper) ? ` (did you mean "${upper}"?)` : '';
    return `"${name}" is not a signal of ${process.platform}${hint}`;
  }
  const why = UNUSABLE_SIGNALS[name];
  return why ? `${name} ${why}` : undefined;
}

export const signalList: Check = (v) => {
  const allowed = 'an array of signals this process can catch, such as ["SIGTERM", "SIGINT"], or [] for no handler';
  if (!Array.isArray(v)) return { allowed, fix: 'Put the signal in an array' };
  const reasons = v.map(signalProblem).filter((r): r is string => r !== undefined);
  const repeated = v.filter((s, i) => v.indexOf(s) !== i);
  if (repeated.length > 0)
    reasons.push(`${[...new Set(repeated)].map((s) => JSON.stringify(s)).join(', ')} listed more than once`);
  return reasons.length === 0
    ? undefined
    : { allowed, fix: `${reasons.join('; ')}. Use SIGTERM (what Kubernetes and Docker send) and SIGINT (Ctrl-C)` };
};
