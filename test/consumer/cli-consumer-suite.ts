import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get } from '../support/http-client';
import { spawnProcess } from '../support/spawn-app';
import { type ConsumerApp, type ConsumerName, endConsumerCommands, generateConsumer } from './consumer-app';
import { expectSuccess, expectSuiteExitedByItself } from './consumer-suite';
import { applyReadme, quickStartPackages } from './readme-recipe';

const ROOT = resolve(__dirname, '..', '..');
/** Prints `LISTENING <port>` and `REQUEST <method> <url>` (compiled by `npm run build:test`). */
const PRELOAD = join(ROOT, 'build/test/fixtures/log-requests.js');

interface CliConsumerTraits {
  title: string;
  format: 'esm' | 'cjs';
  runner: 'jest' | 'vitest';
  /** The Node major version its test runner needs (found or installed by scripts/node.sh), if not any supported one. */
  testNode?: number;
  /** A Node major version on which its test runner fails as the README says, and that failure's words. */
  failsOn?: { node: number; output: RegExp[] };
}

/** PATH with Node `major` first (scripts/node.sh, as .ci/run does). */
function pathWithNode(major: number): string {
  const bin = execFileSync('bash', [join(ROOT, 'scripts/node.sh'), String(major)], { encoding: 'utf8' }).trim();
  return `${bin}:${process.env.PATH}`;
}

/**
 * An app laid out as `nest new` (@nestjs/cli 12.0.15) generates it, with the README's Quick start and testing recipe
 * applied verbatim: it builds with the CLI, drains a request in flight on SIGTERM, and passes the recipe.
 */
export function describeCliConsumer(name: ConsumerName, traits: CliConsumerTraits): void {
  describe(`consumer ${name}: ${traits.title}`, () => {
    let app: ConsumerApp;

    beforeAll(async () => {
      app = await generateConsumer(name);
      applyReadme(app.dir, traits.format);
    });
    afterAll(() => {
      endConsumerCommands();
      app?.remove();
    });

    it('has the packages the Quick start installs', () => {
      const { dependencies } = JSON.parse(readFileSync(join(app.dir, 'package.json'), 'utf8')) as {
        dependencies: Record<string, string>;
      };
      const installed = [...Object.keys(dependencies), 'nestjs-graceful'];
      expect(installed).toEqual(expect.arrayContaining(quickStartPackages()));
    });

    it('builds with `nest build`, under strict TypeScript, against the packed types', async () => {
      expectSuccess(await app.run('npm', ['run', 'build']));
    });

    it('type-checks its tests too, as an editor does (`tsc --noEmit` with its tsconfig.json)', async () => {
      expectSuccess(await app.run('npx', ['tsc', '--noEmit', '-p', 'tsconfig.json']));
    });

    it('answers a request in flight at SIGTERM, then exits 0 with a clean stop report', async () => {
      const proc = await spawnProcess(process.execPath, ['--require', PRELOAD, 'dist/main.js'], {
        cwd: app.dir,
        env: { PORT: '0' },
        ready: /^LISTENING \d+$/,
      });
      try {
        const port = Number(proc.readyLine.split(' ')[1]);
        expect(await get(port, '/')).toMatchObject({ status: 200, body: 'Hello World!' });
        const slow = get(port, '/hello?ms=1000');
        await proc.waitForLine(/^REQUEST GET \/hello/);
        proc.kill('SIGTERM');
        expect(await slow).toMatchObject({ status: 200, body: 'hello\n' });
        expect((await proc.exited).code).toBe(0);
        expect(proc.output()).toMatch(/stop report \{.*"exitCode":0,"failure":"none".*"drained":1,"aborted":\[\]/);
      } finally {
        proc.kill('SIGKILL');
      }
    });

    const on = traits.testNode === undefined ? '' : ` on Node ${traits.testNode}`;
    it(`passes the README's testing recipe with its ${traits.runner}${on}, which exits by itself`, async () => {
      const env: Record<string, string> = traits.testNode === undefined ? {} : { PATH: pathWithNode(traits.testNode) };
      expectSuiteExitedByItself(await app.run('npm', ['run', 'test:e2e'], env), traits.runner, 1);
    });

    const fails = traits.failsOn;
    if (fails) {
      it(`on Node ${fails.node}, its ${traits.runner} fails before the app's code loads (README)`, async () => {
        const result = await app.run('npm', ['run', 'test:e2e'], { PATH: pathWithNode(fails.node) });
        expect(result.code, result.output).not.toBe(0);
        for (const words of fails.output) expect(result.output).toMatch(words);
      });
    }
  });
}
