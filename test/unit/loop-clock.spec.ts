import { describe, expect, it } from 'vitest';
import { loopNow } from '../../src/drain/loop-clock';

describe('loopNow', () => {
  it('reads the clock once per turn of the event loop', async () => {
    const first = loopNow();
    // Until the real clock has moved on.
    while (performance.now() <= first);
    expect(loopNow()).toBe(first);
    await new Promise((resolve) => setImmediate(resolve));
    expect(loopNow()).toBeGreaterThan(first);
  });
});
