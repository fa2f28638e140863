import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { get } from '../support/http-client';
import { spawnProcess } from '../support/spawn-app';

const ROOT = join(__dirname, '..', '..');
const PRELOAD = join(ROOT, 'build/test/fixtures/log-requests.js');

/** The README's "What you see on Ctrl-C" block. */
function readmeBlock(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /### What you see on Ctrl-C[\s\S]*?```\n([\s\S]*?)```/.exec(readme)?.[1];
  if (block === undefined) throw new Error('README.md has no "What you see on Ctrl-C" block');
  return block.trim().split('\n');
}

/**
 * A log line's shape: Nest's prefix, numbers, the service's name and where it was read left out; a line repeated in a
 * row (one "still draining" a second) counted once.
 */
function shape(lines: string[]): string[] {
  const shaped = lines
    .map((line) =>
      line
        .replace(/^.*?(\[Graceful\])/, '$1')
        .replace(/service "[^"]+" version "[^"]+", from package\.json \(.*\)/, 'service NAME')
        .replace(/"app":"[^"]+"/, '"app":NAME')
        .replace(/\d+(\.\d+)?/g, 'N'),
    )
    .filter((line) => line.startsWith('[Graceful]'));
  return shaped.filter((line, i) => line !== shaped[i - 1]);
}

describe('the quick start, stopped by Ctrl-C with a request in flight', () => {
  it.each([
    ['Express', 'main.js'],
    ['Fastify', 'main-fastify.js'],
  ])('%s: the request is answered, the app exits 0 and logs what the README shows', async (_platform, main) => {
    const app = await spawnProcess(
      process.execPath,
      ['--require', PRELOAD, join(ROOT, 'build/sample-app/quick-start', main)],
      {
        cwd: ROOT,
        env: { PORT: '0' },
        ready: /^LISTENING \d+$/,
      },
    );
    const port = Number(app.readyLine.split(' ')[1]);
    try {
      // "still draining" comes each second of the drain: 1.5 s gives one, as in the README, with 0.5 s to spare on
      // either side.
      const slow = get(port, '/hello?ms=1500');
      await app.waitForLine(/^REQUEST GET \/hello/);
      app.kill('SIGINT');
      const reply = await slow;
      expect(reply).toMatchObject({ status: 200, body: 'hello\n' });
      expect(reply.headers.connection).toBe('close');
      expect((await app.exited).code).toBe(0);
      expect(shape(app.output().split('\n'))).toEqual(shape(readmeBlock()));
    } finally {
      app.kill('SIGKILL');
    }
  });
});
