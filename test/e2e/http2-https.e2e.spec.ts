import type { INestApplication } from '@nestjs/common';
import { connect as h2connect, constants, type ClientHttp2Session } from 'node:http2';
import { Agent } from 'node:https';
import { Server as NetServer, connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { GracefulLifecycle, type GracefulOptions } from '../../src';
import { DrainLedger } from '../../src/drain/drain-ledger';
import { FakeDbPool } from '../support/fake-db';
import { get, waitFor, type Reply } from '../support/http-client';
import { h2get, whyRefused } from '../support/http2-client';
import { selfSignedCertificate, type KeyPair } from '../support/self-signed';
import { createTestApp, type Platform, type TestServerOptions } from '../support/test-app';

const base: GracefulOptions = { exit: false, signals: [], advertiseHost: '127.0.0.1', stopTimeout: 5_000 };

let pair: KeyPair;
beforeAll(() => {
  pair = selfSignedCertificate();
});

const httpsGet = (port: number, path: string, agent: Agent) => get(port, path, agent, { tls: true });

/**
 * Finishes the TLS handshake on an accepted socket, sends one HTTP/1.1 GET, and gives everything received until the
 * server closed it.
 */
function getOverTls(raw: Socket, path: string): Promise<string> {
  const socket = tlsConnect({ socket: raw, rejectUnauthorized: false }, () => {
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  });
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  return new Promise((resolve) => socket.once('close', () => resolve(text)));
}

/**
 * Runs `then` once, right after phase 5 closed the listener: what it sends is in the server's
 * socket buffer before any grace timer can run.
 */
function whenListenerCloses<T>(then: () => T): () => T {
  let result: { value: T } | undefined;
  const close = NetServer.prototype.close;
  vi.spyOn(NetServer.prototype, 'close').mockImplementation(function (this: NetServer, ...args) {
    const closed = close.apply(this, args);
    result ??= { value: then() };
    return closed;
  });
  return () => result!.value;
}

/** A raw TCP connection the server has accepted, its TLS handshake not begun. */
async function acceptedRaw(server: NetServer, port: number): Promise<Socket> {
  const accepted = new Promise((resolve) => server.once('connection', resolve));
  const raw = netConnect(port, '127.0.0.1');
  raw.on('error', () => undefined);
  await accepted;
  return raw;
}

/** `served <status>` or `refused <why>` (the stream's reset code, or the client's own refusal). */
function outcomeOf(reply: Promise<Reply>): Promise<string> {
  return reply.then(
    (r) => `served ${r.status}`,
    (error: { code?: unknown; cause?: { code?: unknown } }) => `refused ${String(whyRefused(error))}`,
  );
}

let app: INestApplication | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  if (app && app.get(GracefulLifecycle).state !== 'stopped') await app.close();
  app = undefined;
});

async function listen(platform: Platform, server: TestServerOptions, options: GracefulOptions = {}) {
  app = await createTestApp(platform, { ...base, ...options }, {}, { server });
  await app.listen(0, '127.0.0.1');
  const http = app.getHttpServer() as NetServer;
  return {
    server: http,
    port: (http.address() as AddressInfo).port,
    db: app.get(FakeDbPool),
    lifecycle: app.get(GracefulLifecycle),
    ledger: app.get(DrainLedger),
  };
}

/** Collects the process warnings emitted while the test runs (HTTP/2 warns about connection-specific headers). */
function collectWarnings(): Error[] {
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  process.on('warning', onWarning);
  afterEach(() => void process.off('warning', onWarning));
  return warnings;
}

describe.each(['secure', 'h2c'] as const)('HTTP/2 (%s) on fastify', (mode) => {
  const server = (): TestServerOptions =>
    mode === 'secure' ? { http2: true, https: { ...pair, allowHTTP1: true } } : { http2: true };
  const open = (port: number): ClientHttp2Session =>
    h2connect(`${mode === 'secure' ? 'https' : 'http'}://127.0.0.1:${port}`, { rejectUnauthorized: false });

  it(
    'streams in flight at app.close() all complete; the session gets GOAWAY; a later stream is refused; drained ' +
      'counts streams',
    async () => {
      const warnings = collectWarnings();
      const { server: http, port, db, lifecycle } = await listen('fastify', server());
      const client = open(port);
      client.on('error', () => undefined);
      const replies = Array.from({ length: 5 }, () => h2get(client, '/gated'));
      await waitFor(() => db.entered === 5, 10_000, 'five streams in their handler');
      const goaway = new Promise<number>((resolve) => client.once('goaway', (code) => resolve(code)));
      const closing = app!.close();
      expect(await goaway).toBe(0);
      expect(http.listening).toBe(false);
      // The client knows the session takes no new stream: refused before it is sent, never reset once accepted.
      const late = await h2get(client, '/slow?ms=1').then(
        () => 'served',
        (error: { code?: unknown; cause?: { code?: unknown } }) => whyRefused(error),
      );
      expect(late).toBe('ERR_HTTP2_GOAWAY_SESSION');
      db.open();
      await closing;
      const results = await Promise.all(replies);
      expect(results.map((r) => [r.status, r.body])).toEqual(Array.from({ length: 5 }, () => [200, '{"row":"row"}']));
      expect(results.every((r) => r.headers.connection === undefined)).toBe(true);
      expect(db.entered).toBe(5);
      expect(db.closedAt).toBeGreaterThan(db.lastQueryAt!);
      expect(lifecycle.report).toMatchObject({ exitCode: 0, drained: 5, aborted: [] });
      expect(warnings.map((w) => w.message)).toEqual([]);
      expect(client.closed || client.destroyed).toBe(true);
    },
  );

  it(
    'a stream the client sends as the listener closes, before it sees GOAWAY, is served or refused, never reset ' +
      'after its handler ran',
    async () => {
      const { port, db, lifecycle } = await listen('fastify', server());
      const client = open(port);
      client.on('error', () => undefined);
      expect((await h2get(client, '/ping')).status).toBe(200);
      const raced = whenListenerCloses(() => outcomeOf(h2get(client, '/slow?ms=50')));
      await app!.close();
      const outcome = await raced();
      if (outcome.startsWith('served')) {
        expect(outcome).toBe('served 200');
        expect(lifecycle.report).toMatchObject({ exitCode: 0, drained: 1 });
      } else {
        // Refused by the protocol (beyond the GOAWAY's last stream): its handler never ran, the client may retry it.
        expect(outcome).toBe(`refused ${constants.NGHTTP2_REFUSED_STREAM}`);
        expect(db.entered).toBe(0);
        expect(lifecycle.report).toMatchObject({ exitCode: 0, drained: 0 });
      }
      expect(db.closedAt).toBeGreaterThan(db.lastQueryAt ?? 0);
    },
  );

  it('waits for the handler of a stream its client reset: the pool closes only after its query', async () => {
    const { server: http, port, db, lifecycle, ledger } = await listen('fastify', server());
    const client = open(port);
    client.on('error', () => undefined);
    const stream = client.request({ ':method': 'GET', ':path': '/gated' });
    stream.on('error', () => undefined);
    await waitFor(() => db.entered === 1, 10_000, 'the handler');
    const reset = new Promise((resolve) => stream.once('close', resolve));
    stream.close(constants.NGHTTP2_CANCEL);
    await reset;
    const closing = app!.close();
    await waitFor(() => !http.listening, 10_000, 'phase 5 to close the listener');
    // The handler still runs: its unit is open although its response can no longer be sent.
    expect([...ledger.units()].map((u) => u.name)).toEqual(['GET /gated']);
    db.open();
    await closing;
    expect(db.queries).toBe(1);
    expect(db.closedAt).toBeGreaterThan(db.lastQueryAt!);
    expect(lifecycle.report).toMatchObject({ exitCode: 0, drained: 1, aborted: [] });
  });

  it('a stuck stream is aborted at stopTimeout and named in the report; the served one is drained', async () => {
    const { port, db, lifecycle, ledger } = await listen('fastify', server(), { stopTimeout: 500, abortGrace: 50 });
    const client = open(port);
    client.on('error', () => undefined);
    const served = h2get(client, '/gated');
    const stuck = h2get(client, '/stuck').catch((error: { code?: number }) => error.code);
    await waitFor(
      () => db.entered === 1 && [...ledger.units()].some((u) => u.name === 'GET /stuck'),
      10_000,
      'both streams',
    );
    const goaway = new Promise((resolve) => client.once('goaway', resolve));
    const closing = app!.close();
    await goaway;
    db.open();
    await closing;
    expect((await served).status).toBe(200);
    expect(await stuck).toBe(constants.NGHTTP2_CANCEL);
    expect(lifecycle.report).toMatchObject({
      exitCode: 1,
      drained: 1,
      aborted: [{ kind: 'http', name: 'GET /stuck', ageMs: expect.any(Number) }],
    });
  });
});

describe(
  'a socket accepted by the secure HTTP/2 fastify server ' + 'before its TLS handshake when the listener closes',
  () => {
    it(
      'is held, then its session gets GOAWAY before any stream: ' + 'its request is refused, never run after teardown',
      async () => {
        const { server, port, db, lifecycle, ledger } = await listen('fastify', { http2: true, https: pair });
        const raw = await acceptedRaw(server, port);
        expect([...ledger.units()].map((u) => u.name)).toContain('connection in its TLS handshake');
        // The ClientHello leaves only now, after phase 5 closed the listener.
        const outcome = whenListenerCloses(async () => {
          const client = h2connect(`https://127.0.0.1:${port}`, {
            createConnection: () => tlsConnect({ socket: raw, ALPNProtocols: ['h2'], rejectUnauthorized: false }),
          });
          client.on('error', () => undefined);
          const goaway = new Promise<number>((resolve) => client.once('goaway', resolve));
          const reply = outcomeOf(h2get(client, '/slow?ms=50'));
          return `goaway ${await goaway}, ${await reply}`;
        });
        await app!.close();
        // REFUSED_STREAM when the request left before the GOAWAY arrived; refused by the client itself after.
        expect([
          `goaway 0, refused ${constants.NGHTTP2_REFUSED_STREAM}`,
          'goaway 0, refused ERR_HTTP2_GOAWAY_SESSION',
        ]).toContain(await outcome());
        expect(db.entered).toBe(0);
        expect(lifecycle.report).toMatchObject({ exitCode: 0, drained: 0, aborted: [] });
      },
    );
  },
);

describe('HTTP/1.1 on the secure HTTP/2 fastify server (allowHTTP1)', () => {
  it('keeps the HTTP/1.1 drain: the request in flight completes with Connection: close', async () => {
    const { server, port, db, lifecycle } = await listen('fastify', {
      http2: true,
      https: { ...pair, allowHTTP1: true },
    });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const reply = httpsGet(port, '/gated', agent);
    await waitFor(() => db.entered === 1, 10_000, 'the request in its handler');
    const closing = app!.close();
    await waitFor(() => !server.listening, 10_000, 'the listener to close');
    db.open();
    await closing;
    agent.destroy();
    expect((await reply).status).toBe(200);
    expect((await reply).headers.connection).toBe('close');
    expect(lifecycle.report).toMatchObject({ exitCode: 0, drained: 1, aborted: [] });
  });
});

describe.each<Platform>(['express', 'fastify'])('HTTPS/1.1 on %s', (platform) => {
  it('keep-alive requests in flight complete with Connection: close and count as drained', async () => {
    const { server, port, db, lifecycle } = await listen(platform, { https: pair });
    const agent = new Agent({ keepAlive: true, maxSockets: 3 });
    const replies = Array.from({ length: 3 }, () => httpsGet(port, '/gated', agent));
    await waitFor(() => db.entered === 3, 10_000, 'three requests in their handler');
    const closing = app!.close();
    await waitFor(() => !server.listening, 10_000, 'the listener to close');
    db.open();
    await closing;
    agent.destroy();
    const results = await Promise.all(replies);
    expect(results.map((r) => [r.status, r.headers.connection])).toEqual(
      Array.from({ length: 3 }, () => [200, 'close']),
    );
    expect(db.closedAt).toBeGreaterThan(db.lastQueryAt!);
    expect(lifecycle.report).toMatchObject({ exitCode: 0, drained: 3, aborted: [] });
  });

  it(
    'a socket accepted but still before its TLS handshake when the listener closes is held, then served before ' +
      'teardown',
    async () => {
      const { server, port, db, lifecycle, ledger } = await listen(platform, { https: pair });
      const raw = await acceptedRaw(server, port);
      expect([...ledger.units()].map((u) => u.name)).toContain('connection in its TLS handshake');
      // The ClientHello leaves only now, after phase 5 closed the listener.
      const received = whenListenerCloses(() => getOverTls(raw, '/slow?ms=50'));
      await app!.close();
      const text = await received();
      expect(text).toMatch(/^HTTP\/1\.1 200 /);
      expect(text).toMatch(/\r\nconnection: close\r\n/i);
      expect(db.queries).toBe(1);
      expect(db.closedAt).toBeGreaterThan(db.lastQueryAt!);
      expect(lifecycle.report).toMatchObject({ exitCode: 0, drained: 1, aborted: [] });
    },
  );
});
