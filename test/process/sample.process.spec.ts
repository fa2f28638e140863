import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { get } from '../support/http-client';
import { alive } from '../support/server-process';
import { spawnProcess, type SpawnedProcess } from '../support/spawn-app';

const ROOT = join(__dirname, '..', '..');

let npm: SpawnedProcess | undefined;
let appPid: number | undefined;
afterEach(() => {
  npm?.kill('SIGKILL');
  if (appPid !== undefined && alive(appPid)) process.kill(appPid, 'SIGKILL');
  npm = appPid = undefined;
});

describe('npm run sample', () => {
  // The test's own limit covers the 120 s the start (a build inside `npm run sample`) may take on busy cores.
  it('stops on a SIGTERM sent to npm: the app drains its request, exits 0 and leaves nothing running', async () => {
    // `npm run sample` builds first (a no-op when build/ is current) and runs node under a shell.
    npm = await spawnProcess('npm', ['run', 'sample'], {
      cwd: ROOT,
      env: { PORT: '0' },
      ready: /listening on http:\/\/127\.0\.0\.1:\d+ \(pid \d+\)/,
      readyTimeoutMs: 120_000,
    });
    const [, port, pid] = /:(\d+) \(pid (\d+)\)/.exec(npm.readyLine)!;
    appPid = Number(pid);
    expect(appPid).not.toBe(npm.proc.pid);

    const reply = get(Number(port), '/orders/7?delay=1500');
    await npm.waitForLine(/order 7: answering in 1500 ms/);
    npm.kill('SIGTERM');

    expect(await reply).toMatchObject({ status: 200, body: '{"id":"7","status":"shipped"}' });
    const exit = await npm.exited;
    expect(npm.output()).toMatch(/stop report \{"app":"orders","reason":"SIGTERM","exitCode":0,/);
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(alive(appPid)).toBe(false);
  }, 180_000);
});
