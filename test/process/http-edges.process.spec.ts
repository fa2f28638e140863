import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { rawConnect, statusLines } from '../support/raw-http';
import { spawnApp, type SpawnedApp } from '../support/spawn-app';
import { stopFifo } from '../support/stop-fifo';
import type { Platform } from '../support/test-app';

const running = new Set<SpawnedApp>();
afterEach(() => {
  for (const app of running) app.kill('SIGKILL');
  running.clear();
});

async function start(platform: Platform, options: object, more: object = {}): Promise<SpawnedApp> {
  const app = await spawnApp('test/fixtures/http-edges-server.js', {
    FIXTURE: JSON.stringify({ platform, options, ...more }),
  });
  running.add(app);
  return app;
}

const reportOf = (output: string) =>
  JSON.parse(/stop report (\{.*\})/.exec(output)![1]!) as { exitCode: number; drained: number; aborted: unknown[] };

/**
 * Stops the app while its gated requests wait; the fixture releases them once its listener is closed: they count as
 * drained.
 */
async function stopThenRelease(app: SpawnedApp): Promise<void> {
  app.kill('SIGTERM');
  await app.waitForLine(/close done in \d+ ms/);
  app.kill('SIGUSR2');
}

const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: localhost\r\n\r\n`;

describe.each<Platform>(['express', 'fastify'])(
  'HTTP/1.1 edges of a stop, a real %s process and a real SIGTERM',
  (platform) => {
    it('answers two pipelined requests in flight at the stop, Connection: close only on the second', async () => {
      const app = await start(platform, {});
      const client = await rawConnect(app.port);
      client.send(GET('/gated') + GET('/gated'));
      await app.waitForLine(/^EVENT entered 2$/);
      await stopThenRelease(app);
      const { data, error } = await client.ended;
      expect(error).toBeUndefined();
      expect(statusLines(data)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 200']);
      expect(data.match(/^connection: [\w-]+/gim)?.map((h) => h.toLowerCase())).toEqual([
        'connection: keep-alive',
        'connection: close',
      ]);
      expect((await app.exited).code).toBe(0);
      expect(reportOf(app.output())).toMatchObject({ exitCode: 0, drained: 2, aborted: [] });
    });

    it('never starts a request sent behind a response that said Connection: close', async () => {
      const app = await start(platform, {});
      const client = await rawConnect(app.port);
      client.send(GET('/late-stream'));
      await app.waitForLine(/^EVENT entered 1$/);
      await stopThenRelease(app);
      // Its head went out after the listener closed, so with Connection: close; the fixture ends it once more bytes
      // arrive.
      await client.waitFor(/head;/);
      client.send(GET('/slow?ms=1'));
      const { data, error } = await client.ended;
      expect(error).toBeUndefined();
      expect(statusLines(data)).toEqual(['HTTP/1.1 200']);
      expect(data).toMatch(/^connection: close/im);
      expect(data).toMatch(/head;.*done/s);
      expect((await app.exited).code).toBe(0);
      expect(app.output()).not.toMatch(/^EVENT entered 2$/m);
      expect(reportOf(app.output())).toMatchObject({ exitCode: 0, drained: 1, aborted: [] });
    });

    describe('Expect: 100-continue with a checkContinue listener', () => {
      const upload = (text: string) =>
        `POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nExpect: ` +
        `100-continue\r\nContent-Length: ${text.length}\r\n\r\n`;
      const body = JSON.stringify({ text: 'twelve chars' });

      it.each([
        ['on a reused keep-alive connection', true],
        ['on a fresh connection', false],
      ])('answers the request %s, which ends the connection, and counts it drained', async (_, reused) => {
        const app = await start(platform, {}, { checkContinue: true });
        const client = await rawConnect(app.port);
        if (reused) {
          client.send(GET('/ping'));
          await client.waitFor(/pong/);
        }
        client.send(upload(body));
        await client.waitFor(/HTTP\/1\.1 100 Continue\r\n\r\n/);
        client.send(body);
        await app.waitForLine(/^EVENT entered 1$/);
        await stopThenRelease(app);
        const { data, error } = await client.ended;
        expect(error).toBeUndefined();
        expect(data).toMatch(/"length":12/);
        // Told to close: the stop does not wait for the server's keep-alive timeout to close it.
        expect(data.slice(data.lastIndexOf('HTTP/1.1 '))).toMatch(/^connection: close/im);
        expect((await app.exited).code).toBe(0);
        expect(app.output()).toMatch(/EVENT db-closed queries=1 /);
        expect(reportOf(app.output())).toMatchObject({ exitCode: 0, drained: 1, aborted: [] });
      });
    });

    it(
      'accepts the connections the kernel queued as the stop ' +
        'began: each is answered, none reset after its connect',
      async () => {
        const fifo = stopFifo();
        const app = await start(platform, {}, { blockStopOn: fifo.path });
        app.kill('SIGTERM');
        // The process is blocked (a beforeStop hook reads the FIFO): the kernel completes these handshakes and queues
        // them.
        await app.waitForLine(/^EVENT stop-blocked$/);
        const connected = Array.from({ length: 32 }, () => pingOnce(app.port));
        await Promise.all(connected.map((c) => c.connected));
        fifo.release();
        const seen = await Promise.all(connected.map((c) => c.outcome));
        expect(seen.filter((outcome) => outcome !== 'ok')).toEqual([]);
        expect((await app.exited).code).toBe(0);
        expect(reportOf(app.output())).toMatchObject({ exitCode: 0, aborted: [] });
      },
    );

    it(
      'ends endless SSE streams cleanly at phase 5, after ' + 'every event sent, and releases their subscriptions',
      async () => {
        const app = await start(platform, {});
        const streams = Array.from({ length: 3 }, () => readEvents(app.port));
        await Promise.all(streams.map((s) => s.firstEvent));
        app.kill('SIGTERM');
        const ends = await Promise.all(streams.map((s) => s.ended));
        for (const end of ends) {
          expect(end.complete).toBe(true);
          expect(end.error).toBeUndefined();
          // Whole events, none missing: ids 0, 1, 2, ... and the body ends at an event's end.
          expect(end.ids).toEqual(end.ids.map((_, i) => String(i)));
          expect(end.body.endsWith('\n\n')).toBe(true);
        }
        expect((await app.exited).code).toBe(0);
        expect(app.output().match(/^EVENT sse-released \d$/gm)).toHaveLength(3);
        expect(reportOf(app.output())).toMatchObject({ exitCode: 0, drained: 3, aborted: [] });
      },
    );
  },
);

/** GET /ping on a fresh connection: when its connect succeeded, and 'ok' or how it failed. */
function pingOnce(port: number): { connected: Promise<void>; outcome: Promise<string> } {
  let connected!: () => void;
  const connect = new Promise<void>((resolve) => (connected = resolve));
  const outcome = new Promise<string>((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/ping', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200 ? 'ok' : `status ${res.statusCode}`));
      res.on('error', (e: NodeJS.ErrnoException) => resolve(`response ${e.code ?? e.message}`));
    });
    req.on('socket', (socket) => socket.once('connect', connected));
    req.on('error', (e: NodeJS.ErrnoException) => resolve(`request ${e.code ?? e.message}`));
    req.end();
  });
  return { connected: connect, outcome };
}

interface EventStreamEnd {
  /** Node's client received the whole response (its last chunk), not a cut. */
  complete: boolean;
  error?: string;
  ids: string[];
  body: string;
}

/** GET /events with Node's HTTP client, reading the stream until it ends. */
function readEvents(port: number): { firstEvent: Promise<void>; ended: Promise<EventStreamEnd> } {
  let gotFirst!: () => void;
  const firstEvent = new Promise<void>((resolve) => (gotFirst = resolve));
  const ended = new Promise<EventStreamEnd>((resolve) => {
    let body = '';
    let error: string | undefined;
    const done = (complete: boolean) =>
      resolve({ complete, error, body, ids: [...body.matchAll(/^id: (\d+)$/gm)].map((m) => m[1]!) });
    const req = request(
      { host: '127.0.0.1', port, path: '/events', agent: false, headers: { accept: 'text/event-stream' } },
      (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
          if (body.includes('\n\n')) gotFirst();
        });
        res.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
        res.on('close', () => done(res.complete));
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
      done(false);
    });
    req.end();
  });
  return { firstEvent, ended };
}
