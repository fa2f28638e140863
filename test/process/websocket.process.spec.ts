import { afterEach, describe, expect, it } from 'vitest';
import { closedPort } from '../support/closed-port';
import { waitFor } from '../support/http-client';
import { spawnApp, type SpawnedApp } from '../support/spawn-app';
import type { Platform } from '../support/test-app';
import { openWs, sendWs, type WsClient } from '../support/ws-client';

const running = new Set<SpawnedApp>();
const clients = new Set<WsClient>();
afterEach(() => {
  for (const client of clients) client.ws.terminate();
  clients.clear();
  for (const app of running) app.kill('SIGKILL');
  running.clear();
});

async function start(config: object): Promise<SpawnedApp> {
  const app = await spawnApp('test/fixtures/ws-server.js', { FIXTURE: JSON.stringify(config) });
  running.add(app);
  return app;
}

async function open(port: number, path?: string): Promise<WsClient> {
  const client = await openWs(port, path);
  clients.add(client);
  return client;
}

const reportOf = (output: string) =>
  JSON.parse(/stop report (\{.*\})/.exec(output)![1]!) as { exitCode: number; drained: number; aborted: unknown[] };

/** How many handlers entered the pool (FakeDbPool prints `EVENT entered <n>`). */
const entered = (output: string) => output.split('\n').filter((line) => /^EVENT entered \d+$/.test(line)).length;

/**
 * After phase 5, with `busy`'s first message held at the pool's gate: sends a second one, opens
 * the gate, and checks that only the first ran and was answered, before the 1001, and that the
 * pool closed after its query. Its close began at phase 5, so the second would be answered
 * into a closing socket: before the fix it ran, and its reply was lost.
 */
async function answersThenRefuses(app: SpawnedApp, busy: WsClient): Promise<void> {
  sendWs(busy, 'slow', { ms: 0 });
  app.kill('SIGUSR2');
  expect(await busy.closed).toEqual({ code: 1001, reason: 'going away' });
  expect((await app.exited).code).toBe(0);
  expect(busy.events).toEqual(['message slow', 'close 1001']);
  expect(entered(app.output())).toBe(1);
  expect(app.output()).toMatch(/EVENT db-closed queries=1 /);
  expect(reportOf(app.output())).toMatchObject({ exitCode: 0, drained: 1, aborted: [] });
}

describe.each<Platform>(['express', 'fastify'])(
  'a real %s process with WsAdapter gateways and a real SIGTERM',
  (platform) => {
    it(
      'refuses a message that arrives after the 1001 close frame was sent: its handler never runs, nothing counts ' +
        'it; exit 0',
      async () => {
        const app = await start({ platform, options: {} });
        const late = await open(app.port);
        // The close frame will wait, unread, while the client sends.
        late.ws.pause();
        app.kill('SIGTERM');
        await app.waitForLine(/^EVENT close-sent 0$/);
        sendWs(late, 'slow', { ms: 0 });
        late.ws.resume();
        expect(await late.closed).toEqual({ code: 1001, reason: 'going away' });
        expect((await app.exited).code).toBe(0);
        // Before the fix the handler ran, its reply was dropped, and it counted as drained (10 of 10).
        expect(late.messages).toEqual([]);
        expect(entered(app.output())).toBe(0);
        expect(reportOf(app.output())).toMatchObject({ exitCode: 0, drained: 0, aborted: [] });
      },
    );

    it(
      'answers the message running at phase 5, refuses one ' + 'sent after it on the same client, then closes 1001',
      async () => {
        const app = await start({ platform, options: {} });
        const busy = await open(app.port);
        sendWs(busy, 'slow');
        await app.waitForLine(/^EVENT entered 1$/);
        app.kill('SIGTERM');
        await app.waitForLine(/close done in \d+ ms/);
        await answersThenRefuses(app, busy);
      },
    );

    it(
      'waits for a handler whose client left, until its query ' + 'ran; a stream whose client left is released; exit 0',
      async () => {
        const app = await start({ platform, options: {} });
        const gone = await open(app.port);
        const watcher = await open(app.port);
        sendWs(gone, 'slow');
        sendWs(watcher, 'ticks');
        await app.waitForLine(/^EVENT entered 1$/);
        await waitFor(() => watcher.messages.length > 0, 10_000, 'a tick');
        gone.ws.close();
        watcher.ws.close();
        await app.waitForLine(/^EVENT ticks-released$/);
        await waitFor(
          () =>
            app
              .output()
              .split('\n')
              .filter((l) => l === 'EVENT disconnected 0').length === 2,
          10_000,
          'both disconnects',
        );
        app.kill('SIGTERM');
        // Before the fix its unit ended with the client: the drain found nothing, and the pool closed under the handler
        // (10 of 10).
        await app.waitForLine(/draining \d+ unit\(s\) \(.*ws 1/);
        app.kill('SIGUSR2');
        expect((await app.exited).code).toBe(0);
        expect(app.output()).toMatch(/EVENT db-closed queries=1 /);
        expect(app.output()).not.toMatch(/pool is closed/);
        expect(reportOf(app.output())).toMatchObject({ exitCode: 0, drained: 1, aborted: [] });
      },
    );

    it(
      'closes gateways on their own port at phase 5 and ' + 'drains their clients like the main port’s; exit 0',
      async () => {
        const [ownPort, pathPort] = [await closedPort(), await closedPort()];
        const app = await start({ platform, options: {}, ownPort, pathPort });
        const idleOwn = await open(ownPort);
        const idlePath = await open(pathPort, '/events');
        const busy = await open(ownPort);
        sendWs(busy, 'slow');
        await app.waitForLine(/^EVENT entered 1$/);
        app.kill('SIGTERM');
        await app.waitForLine(/close done in \d+ ms/);
        // Before the fix both listeners accepted new clients until Nest's teardown (10 of 10).
        await expect(openWs(ownPort)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
        await expect(openWs(pathPort, '/events')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
        expect(await idleOwn.closed).toEqual({ code: 1001, reason: 'going away' });
        expect(await idlePath.closed).toEqual({ code: 1001, reason: 'going away' });
        await answersThenRefuses(app, busy);
      },
    );
  },
);
