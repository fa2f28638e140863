import { describe, expect, it } from 'vitest';
import { patchMethods } from '../../src/drain/transports/method-patch';

class Transport {
  handle(): string {
    return 'prototype';
  }
}

describe('patchMethods', () => {
  it('wraps a prototype method as an own property, and the release deletes it', () => {
    const transport = new Transport();
    const release = patchMethods(transport, { handle: (original) => () => `wrapped ${original.call(transport)}` });
    expect(transport.handle()).toBe('wrapped prototype');
    release();
    expect(Object.hasOwn(transport, 'handle')).toBe(false);
    expect(transport.handle()).toBe('prototype');
  });

  it("puts back the app's own property, not the prototype's method, when the method was its own", () => {
    const transport = new Transport();
    const own = () => 'own';
    transport.handle = own;
    const release = patchMethods(transport, { handle: (original) => () => `wrapped ${original()}` });
    expect(transport.handle()).toBe('wrapped own');
    release();
    expect(transport.handle).toBe(own);
  });
});
