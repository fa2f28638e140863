import { describe, expect, it } from 'vitest';
import { loopNow } from '../../src/drain/loop-clock';

describe('loopNow', () => {
  it('reads the clock once per turn of the event loop', async () => {
    const first = loopNow();
    const spin = performance.now() + 2;
    while (performance.now() < spin);
    expect(loopNow()).toBe(first);
    await new Promise((resolve) => setImmediate(resolve));
    expect(loopNow()).toBeGreaterThan(first);
  });
});
