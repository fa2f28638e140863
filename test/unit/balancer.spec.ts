import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { PowerOfTwoChoices, RoundRobin } from '../../src/discovery/balancer';
import { describeFailure, failureKind, isIdempotent, mayRetry } from '../../src/discovery/retry-rules';

const load = (...inFlight: number[]) => inFlight.map((n, i) => ({ name: `i${i}`, inFlight: n }));
/** A random() that returns these values in turn. */
const sequence = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};

describe('PowerOfTwoChoices', () => {
  it('of the two instances drawn, takes the one with fewer requests in flight', () => {
    // random 0.0 draws index 0; random 0.5 of the 3 left draws index 1, shifted to 2 (never the first again).
    const candidates = load(5, 0, 1, 9);
    expect(new PowerOfTwoChoices(sequence(0, 0.5)).pick(candidates).name).toBe('i2');
    expect(new PowerOfTwoChoices(sequence(0.9, 0)).pick(candidates).name).toBe('i0');
  });

  it('never draws the same instance twice: of two, the less loaded always wins', () => {
    const candidates = load(3, 1);
    for (const r of [0, 0.3, 0.5, 0.7, 0.99]) {
      expect(new PowerOfTwoChoices(sequence(r, r)).pick(candidates).name).toBe('i1');
    }
  });

  it('keeps the first drawn on a tie, and returns the only candidate without drawing', () => {
    expect(new PowerOfTwoChoices(sequence(0.99, 0)).pick(load(2, 2, 2)).name).toBe('i2');
    expect(new PowerOfTwoChoices(() => Number.NaN).pick(load(4)).name).toBe('i0');
  });

  it('with Math.random, sends nothing to an instance that is far busier while others are idle', () => {
    const p2c = new PowerOfTwoChoices();
    const candidates = load(0, 0, 100);
    const picked = Array.from({ length: 200 }, () => p2c.pick(candidates).name);
    expect(picked).not.toContain('i2');
    expect(new Set(picked)).toEqual(new Set(['i0', 'i1']));
  });
});

describe('RoundRobin', () => {
  it('takes each instance in turn whatever its load, and follows a list that shrinks', () => {
    const rr = new RoundRobin();
    const candidates = load(9, 0, 0);
    expect([0, 1, 2, 3].map(() => rr.pick(candidates).name)).toEqual(['i0', 'i1', 'i2', 'i0']);
    expect(rr.pick(candidates.slice(0, 2)).name).toBe('i0');
  });
});

describe('retry rules', () => {
  it('a refused or never-made connection was not sent: retried for every method', () => {
    for (const code of ['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_CLOSED']) {
      expect(failureKind({ code })).toBe('not-sent');
      expect(mayRetry(failureKind({ code }), false)).toBe(true);
    }
  });

  it('a reset or close before the response head (GOAWAY included) is retried only when idempotent', () => {
    const goaway = { code: 'UND_ERR_SOCKET', message: 'HTTP/2: "GOAWAY" frame received with code 0' };
    for (const err of [
      { code: 'ECONNRESET' },
      { code: 'UND_ERR_SOCKET', message: 'other side closed' },
      goaway,
      { code: 'EPIPE' },
    ]) {
      expect(failureKind(err)).toBe('no-response');
      expect(mayRetry('no-response', true)).toBe(true);
      expect(mayRetry('no-response', false)).toBe(false);
    }
  });

  it('a timeout waiting for the head, an abort or an unknown error is never retried', () => {
    for (const err of [{ code: 'UND_ERR_HEADERS_TIMEOUT' }, { name: 'AbortError' }, new Error('boom'), undefined]) {
      expect(failureKind(err)).toBe('other');
      expect(mayRetry(failureKind(err), true)).toBe(false);
    }
  });

  it('reads the code of an error from another realm (instanceof Error is false there) and of a cause', () => {
    const foreign = runInNewContext(
      'Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" })',
    ) as unknown;
    expect(foreign instanceof Error).toBe(false);
    expect(failureKind(foreign)).toBe('not-sent');
    expect(failureKind({ message: 'fetch failed', cause: { code: 'ECONNRESET' } })).toBe('no-response');
    expect(describeFailure(foreign)).toBe('connection refused (ECONNREFUSED)');
    expect(describeFailure({ code: 'UND_ERR_SOCKET', message: 'other side closed' })).toBe(
      'other side closed (UND_ERR_SOCKET)',
    );
  });

  it('GET, HEAD, OPTIONS, TRACE, PUT and DELETE are idempotent; POST and PATCH are not', () => {
    expect(['GET', 'head', 'OPTIONS', 'TRACE', 'PUT', 'DELETE'].every(isIdempotent)).toBe(true);
    expect(['POST', 'PATCH', 'CONNECT'].some(isIdempotent)).toBe(false);
  });
});
