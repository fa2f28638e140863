import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { abortableCall } from '../../src/registry/consul/abortable-call';
import { isError } from '../../src/registry/consul/consul-errors';

/** An ECONNREFUSED error as Jest's sandbox sees Node's own: made in another realm. */
function foreignSocketError(): Error {
  return runInNewContext(
    'Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED", syscall: "connect" })',
  ) as Error;
}

describe('errors from another realm (Jest runs tests in a vm sandbox)', () => {
  it('are errors to isError, while instanceof Error says no', () => {
    const error = foreignSocketError();
    expect(error instanceof Error).toBe(false);
    expect(isError(error)).toBe(true);
    expect(isError(new TypeError('here'))).toBe(true);
    expect(isError({ message: 'not an error', code: 'ECONNREFUSED' })).toBe(false);
    expect(isError(undefined)).toBe(false);
  });

  it('make a client call that resolves with one fail, as papi does when its instanceof check misses', async () => {
    const error = foreignSocketError();
    const result = await abortableCall(new AbortController().signal, () => Promise.resolve(error));
    expect(result).toEqual({ ok: false, aborted: false, error });
  });

  it('leave a call that resolves with a plain answer a success', async () => {
    const body = { 'web-1': { ID: 'web-1' } };
    expect(await abortableCall(new AbortController().signal, () => Promise.resolve(body))).toEqual({
      ok: true,
      value: body,
    });
    expect(await abortableCall(new AbortController().signal, () => Promise.resolve(undefined))).toEqual({
      ok: true,
      value: undefined,
    });
  });
});
