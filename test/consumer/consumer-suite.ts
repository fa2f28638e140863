import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsulAgent, startConsul } from '../support/consul-agent';
import { get } from '../support/http-client';
import { spawnProcess } from '../support/spawn-app';
import {
  type CommandResult,
  type ConsumerApp,
  type ConsumerName,
  endConsumerCommands,
  generateConsumer,
} from './consumer-app';

interface ConsumerTraits {
  title: string;
  runner: 'jest' | 'vitest';
  /** Whether the app's e2e suite has the Consul tests (it installs `consul`). */
  consul: boolean;
  /** How many tests its own e2e suite has. */
  e2eTests: number;
}

export function expectSuccess(result: CommandResult): void {
  expect(result.code, result.output).toBe(0);
}

/** The app as a user runs it: `node dist/main.js`, stopped by a real SIGTERM. */
async function stopUnderSignal(app: ConsumerApp): Promise<void> {
  const proc = await spawnProcess(process.execPath, ['dist/main.js'], {
    cwd: app.dir,
    env: { PORT: '0' },
    ready: /^LISTENING \d+$/,
  });
  try {
    const port = Number(proc.readyLine.split(' ')[1]);
    expect((await get(port, '/health/ready')).status).toBe(200);
    const slow = get(port, '/slow?ms=2000');
    await proc.waitForLine(/slow request entered \(2000 ms\)/);
    proc.kill('SIGTERM');
    // The stop logs the signal once readiness is down; the listener stays open for shutdownDelay (5 s).
    await proc.waitForLine(/\[Graceful\].*SIGTERM/);
    expect((await get(port, '/health/ready')).status).toBe(503);
    expect(await slow).toMatchObject({ status: 200, body: '{"waited":2000}' });
    expect((await proc.exited).code).toBe(0);
    expect(proc.output()).toMatch(/stop report \{.*"exitCode":0/);
  } finally {
    proc.kill('SIGKILL');
  }
}

/** Jest and Vitest summaries; Jest also says when it had to wait for open handles. */
export function expectSuiteExitedByItself(
  result: CommandResult,
  runner: ConsumerTraits['runner'],
  tests: number,
): void {
  expectSuccess(result);
  if (runner === 'jest') {
    expect(result.output).toMatch(new RegExp(`Tests:\\s+${tests} passed, ${tests} total`));
    expect(result.output).not.toMatch(/did not exit one second after|open handle/i);
  } else {
    expect(result.output).toMatch(new RegExp(`Tests\\s+${tests} passed \\(${tests}\\)`));
    expect(result.output).not.toMatch(/close timed out|something prevents/i);
  }
}

/**
 * One generated consumer app: it compiles under `strict`, runs and stops on SIGTERM as in
 * production, and its own e2e suite (the README's recipe) passes and exits by itself.
 */
export function describeConsumer(name: ConsumerName, traits: ConsumerTraits): void {
  describe(`consumer ${name}: ${traits.title}`, () => {
    let app: ConsumerApp;
    let agent: ConsulAgent | undefined;

    beforeAll(async () => {
      app = await generateConsumer(name);
      if (traits.consul) agent = await startConsul();
    });

    afterAll(async () => {
      endConsumerCommands();
      await agent?.stop();
      app?.remove();
    });

    it('compiles with strict TypeScript against the packed types', async () => {
      expectSuccess(await app.run('npm', ['run', 'build']));
    });

    it('serves, flips readiness on SIGTERM, drains a slow request and exits 0', async () => {
      await stopUnderSignal(app);
    });

    it(`passes its own ${traits.runner} e2e suite, which exits by itself`, async () => {
      const env: Record<string, string> = agent ? { CONSUL_HTTP_ADDR: agent.httpAddr } : {};
      const result = await app.run('npm', ['run', 'test:e2e'], env);
      expectSuiteExitedByItself(result, traits.runner, traits.e2eTests);
    });
  });
}
