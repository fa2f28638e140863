import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CoarseClock } from '../../src/drain/coarse-clock';

describe('CoarseClock', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reads the time every 10 ms, and no more once stopped', () => {
    const clock = new CoarseClock();
    const start = clock.now;
    vi.advanceTimersByTime(9);
    expect(clock.now).toBe(start);
    vi.advanceTimersByTime(1);
    expect(clock.now).toBe(start + 10);
    clock.stop();
    vi.advanceTimersByTime(100);
    expect(clock.now).toBe(start + 10);
  });
});
