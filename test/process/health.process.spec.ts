import { afterEach, describe, expect, it } from 'vitest';
import { get } from '../support/http-client';
import { spawnFixture, type SpawnedApp } from '../support/spawn-app';
import type { Platform } from '../support/test-app';

// Needs `npm run build:test` first: spawns build/test/fixtures/server.js with GracefulHealthModule.forRoot().

type Outcome = 200 | 503 | 'refused' | 'reset' | number;

async function probe(port: number, path: string): Promise<Outcome> {
  try {
    return (await get(port, path)).status;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED') return 'refused';
    if (code === 'ECONNRESET') return 'reset';
    throw error;
  }
}

/** Collapses runs: [200, 200, 503, 503, 'refused'] → [200, 503, 'refused']. */
const runs = (outcomes: Outcome[]): Outcome[] => outcomes.filter((o, i) => i === 0 || outcomes[i - 1] !== o);

describe.each<Platform>(['express', 'fastify'])('health of a real process on %s', (platform) => {
  let child: SpawnedApp | undefined;
  afterEach(() => {
    child?.kill('SIGKILL');
    child = undefined;
  });

  it('answers readiness 503 after SIGTERM before the listener closes, and logs the flip', async () => {
    child = await spawnFixture({
      platform,
      options: { shutdownDelay: 1_000, stopTimeout: 2_000 },
      health: { controller: true },
    });
    const { port } = child;
    const outcomes: Outcome[] = [];
    let signalled = false;
    let before = 0;
    // Poll readiness, one new connection at a time, until the listener refuses.
    for (;;) {
      const outcome = await probe(port, '/health/ready');
      outcomes.push(outcome);
      if (!signalled && ++before === 10) {
        child.kill('SIGTERM');
        signalled = true;
      }
      if (outcome === 'refused') break;
    }
    const exited = await child.exited;

    // The order: ready, then unready while still listening, then no listener.
    const order = runs(outcomes);
    const withoutReset = order.filter((o) => o !== 'reset');
    expect(withoutReset, `outcomes: ${order.join(' → ')}`).toEqual([200, 503, 'refused']);
    expect(outcomes.slice(0, 10).every((o) => o === 200)).toBe(true);
    // shutdownDelay is a second of serving while unready: several 503 probes, not one by chance.
    expect(outcomes.filter((o) => o === 503).length).toBeGreaterThan(1);
    // At most one probe straddles the close itself (accepted, then reset by the close).
    expect(outcomes.filter((o) => o === 'reset').length).toBeLessThanOrEqual(1);

    // How fast it flips is a figure for the note (the log says it), not a bound a loaded machine must meet.
    await child.waitForLine(/stop \(SIGTERM\): readiness down [\d.]+ ms after it was asked for/);
    expect(exited.code).toBe(0);
  });

  it('keeps liveness 200 through the delay until the listener closes', async () => {
    child = await spawnFixture({ platform, options: { shutdownDelay: 1_000 }, health: {} });
    const { port } = child;
    expect(await probe(port, '/health/live')).toBe(200);
    const held = get(port, '/gated');
    await child.waitForLine(/^EVENT entered 1$/);
    child.kill('SIGTERM');
    await child.waitForLine(/readiness down/);
    const outcomes: Outcome[] = [];
    for (;;) {
      const outcome = await probe(port, '/health/live');
      outcomes.push(outcome);
      if (outcome === 'refused') break;
    }
    expect(runs(outcomes).filter((o) => o !== 'reset')).toEqual([200, 'refused']);
    expect(outcomes.filter((o) => o === 200).length).toBeGreaterThan(1);
    // The held request, in flight through all of it, still gets its answer once released.
    child.kill('SIGUSR2');
    expect((await held).status).toBe(200);
    expect((await child.exited).code).toBe(0);
  });
});
