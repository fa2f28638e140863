import { EventEmitter } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DrainLedger } from '../../src/drain/drain-ledger';
import { HttpConnections } from '../../src/drain/http-connections';
import {
  IDLE_SOCKET_GRACE_MS,
  KEEP_ALIVE_WINDOW_MS,
  WEBSOCKET_CLOSE_GRACE_MS,
} from '../../src/drain/http-grace.constants';

/** A socket as far as the tracker reads it; destroy() closes it in a later tick, as Node does. */
class FakeSocket extends EventEmitter {
  destroyed = false;
  /** Node ends it itself after a response that said Connection: close. */
  writableEnded = false;
  bytesRead = 0;
  /** Node's HTTP parser, until an upgrade takes it. */
  parser: object | null = {};
  destroy = vi.fn(() => {
    if (this.destroyed) return;
    this.destroyed = true;
    setImmediate(() => this.emit('close'));
  });
}

class FakeResponse extends EventEmitter {
  headersSent = false;
  writableEnded = false;
  readonly headers: Record<string, string> = {};
  setHeader(name: string, value: string): void {
    this.headers[name] = value;
  }
  getHeader(name: string): string | undefined {
    return Object.entries(this.headers).find(([key]) => key.toLowerCase() === name)?.[1];
  }
  removeHeader(name: string): void {
    delete this.headers[name];
  }
  /** The handler answers: res.end(). */
  end(): this {
    this.writableEnded = true;
    return this;
  }
  /** The response ended: Node emits 'close' on the next tick. */
  finish(): void {
    this.end();
    process.nextTick(() => this.emit('close'));
  }
}

function setup() {
  // A net.Server that never listens: only the events the tracker hears are emitted on it.
  const server = new NetServer() as unknown as Server;
  const ledger = new DrainLedger();
  const http = new HttpConnections(server, ledger);
  const connect = () => {
    const socket = new FakeSocket();
    server.emit('connection', socket);
    return socket;
  };
  const request = (socket: FakeSocket, url = '/slow', method = 'GET') => {
    const res = new FakeResponse();
    const req = { socket, method, url, resume: () => undefined };
    server.emit('request', req as unknown as IncomingMessage, res as unknown as ServerResponse);
    return res;
  };
  /** Lists the open units as "kind name". */
  const open = () => [...ledger.units()].map((u) => `${u.kind} ${u.name}`);
  return { server, ledger, http, connect, request, open };
}

/** The ledger's size right after each unit that ends: a 0 between two units is a gap in the drain. */
function sizesAfterEachEnd(ledger: DrainLedger): number[] {
  const sizes: number[] = [];
  const end = ledger.end.bind(ledger);
  vi.spyOn(ledger, 'end').mockImplementation((unit) => {
    const ended = end(unit);
    sizes.push(ledger.size);
    return ended;
  });
  return sizes;
}

/** Fake timers run an immediate queued by a timer 1 ms later: past `ms`, then the poll phase's immediate. */
const pastGrace = (ms: number) => vi.advanceTimersByTimeAsync(ms + 1);

/** Lets a response's 'close' (next tick) run. */
const ticks = () => new Promise<void>((resolve) => process.nextTick(resolve));

describe('HttpConnections', () => {
  beforeEach(() => {
    // performance and the coarse clock's interval too: the grace is counted from each connection's last answer.
    vi.useFakeTimers({
      toFake: [
        'setTimeout',
        'clearTimeout',
        'setImmediate',
        'clearImmediate',
        'setInterval',
        'clearInterval',
        'performance',
      ],
    });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('an accepted connection is a unit until its first request, which takes over before it ends', async () => {
    const { ledger, connect, request, open } = setup();
    const sizes = sizesAfterEachEnd(ledger);
    const socket = connect();
    expect(open()).toEqual(['http connection awaiting its first request']);
    const res = request(socket, '/slow?ms=1');
    expect(open()).toEqual(['http GET /slow']);
    res.finish();
    await ticks();
    // Before the listener closes, a keep-alive connection between requests is not a unit.
    expect(open()).toEqual([]);
    expect(sizes).toEqual([1, 0]);
  });

  it(
    'phase 5: a connection with no request gets its grace, and a ' +
      'request in it is waited for before the grace ends',
    async () => {
      const { ledger, http, connect, request, open } = setup();
      const socket = connect();
      request(socket, '/ping').finish();
      await ticks();
      ledger.countFromNow();
      http.closeListener();
      expect(open()).toEqual(['http keep-alive connection in its grace']);
      const idle = ledger.whenIdle();
      let idleNow = false;
      void idle.then(() => (idleNow = true));

      await vi.advanceTimersByTimeAsync(KEEP_ALIVE_WINDOW_MS / 2);
      const res = request(socket, '/slow');
      expect(open()).toEqual(['http GET /slow']);
      expect(res.headers).toEqual({ Connection: 'close' });
      await vi.advanceTimersByTimeAsync(KEEP_ALIVE_WINDOW_MS * 2);
      expect(socket.destroy).not.toHaveBeenCalled();
      expect(idleNow).toBe(false);

      // Node ends a socket whose response said Connection: close; until it closes, a short grace.
      socket.writableEnded = true;
      res.finish();
      await ticks();
      expect(open()).toEqual(['http keep-alive connection in its grace']);
      await pastGrace(IDLE_SOCKET_GRACE_MS);
      expect(socket.destroy).toHaveBeenCalledOnce();
      await pastGrace(0);
      expect(idleNow).toBe(true);
      expect(ledger.drained).toBe(1);
    },
  );

  it('phase 5: a connection answered 300 ms before gets until a keep-alive window after that answer', async () => {
    const { http, connect, request, open } = setup();
    const socket = connect();
    request(socket, '/ping').finish();
    await ticks();
    await vi.advanceTimersByTimeAsync(300);
    http.closeListener();
    await vi.advanceTimersByTimeAsync(KEEP_ALIVE_WINDOW_MS - 300);
    expect(socket.destroy).not.toHaveBeenCalled();
    expect(open()).toEqual(['http keep-alive connection in its grace']);
    await pastGrace(0);
    expect(socket.destroy).toHaveBeenCalledOnce();
    expect(open()).toEqual([]);
  });

  it('phase 5: a connection idle for longer than the window gets only the short grace', async () => {
    const { http, connect, request } = setup();
    const socket = connect();
    request(socket, '/ping').finish();
    await ticks();
    await vi.advanceTimersByTimeAsync(KEEP_ALIVE_WINDOW_MS * 5);
    http.closeListener();
    await vi.advanceTimersByTimeAsync(IDLE_SOCKET_GRACE_MS);
    expect(socket.destroy).not.toHaveBeenCalled();
    await pastGrace(0);
    expect(socket.destroy).toHaveBeenCalledOnce();
  });

  it('destroys a connection in its grace only after a poll phase (an immediate) past the grace', async () => {
    const { http, connect, open } = setup();
    const socket = connect();
    http.closeListener();
    expect(open()).toEqual(['http connection awaiting its first request']);
    await vi.advanceTimersByTimeAsync(KEEP_ALIVE_WINDOW_MS - 1);
    expect(socket.destroy).not.toHaveBeenCalled();
    vi.advanceTimersToNextTimer();
    // The timer ran; the destroy waits for the immediate after it.
    expect(socket.destroy).not.toHaveBeenCalled();
    vi.advanceTimersToNextTimer();
    expect(socket.destroy).toHaveBeenCalledOnce();
    expect(open()).toEqual([]);
  });

  it(
    'a connection receiving a request (bytes read, no request ' + 'yet) is not closed at its grace; cut, it is aborted',
    async () => {
      const { ledger, http, connect, open } = setup();
      const socket = connect();
      socket.bytesRead = 20;
      ledger.countFromNow();
      http.closeListener();
      expect(open()).toEqual(['http request being received']);
      await pastGrace(KEEP_ALIVE_WINDOW_MS * 10);
      expect(socket.destroy).not.toHaveBeenCalled();
      expect(ledger.cut()).toEqual([{ kind: 'http', name: 'request being received', ageMs: expect.any(Number) }]);
      expect(socket.destroy).toHaveBeenCalledOnce();
    },
  );

  it('a connection receiving a request hands over to it without counting as drained itself', async () => {
    const { ledger, http, connect, request, open } = setup();
    const socket = connect();
    socket.bytesRead = 20;
    ledger.countFromNow();
    http.closeListener();
    socket.bytesRead = 60;
    request(socket, '/slow').finish();
    await ticks();
    expect(open()).toEqual(['http keep-alive connection in its grace']);
    expect(ledger.drained).toBe(1);
  });

  it('an upgraded socket that is no WebSocket (its parser taken) is idle: closed after its grace', async () => {
    const { http, connect, open } = setup();
    const socket = connect();
    socket.bytesRead = 200;
    socket.parser = null;
    http.closeListener();
    expect(open()).toEqual(['http connection awaiting its first request']);
    await pastGrace(KEEP_ALIVE_WINDOW_MS);
    expect(socket.destroy).toHaveBeenCalledOnce();
  });

  it(
    'phase 5: a request in flight is told Connection: close ' + 'unless its headers went out; it gets a grace after it',
    async () => {
      const { ledger, http, connect, request, open } = setup();
      const early = connect();
      const late = connect();
      const sent = request(early, '/a');
      sent.headersSent = true;
      const unsent = request(late, '/b');
      http.closeListener();
      expect(sent.headers).toEqual({});
      expect(unsent.headers).toEqual({ Connection: 'close' });
      const sizes = sizesAfterEachEnd(ledger);
      sent.finish();
      await ticks();
      expect(open()).toEqual(['http GET /b', 'http keep-alive connection in its grace']);
      expect(sizes).toEqual([2]);
    },
  );

  it(
    'phase 5: of two pipelined requests only the second says ' + 'Connection: close; a third read later takes it over',
    () => {
      const { http, connect, request } = setup();
      const socket = connect();
      const first = request(socket, '/first');
      const second = request(socket, '/second');
      http.closeListener();
      expect(first.headers).toEqual({});
      expect(second.headers).toEqual({ Connection: 'close' });
      const third = request(socket, '/third');
      expect(second.headers).toEqual({});
      expect(third.headers).toEqual({ Connection: 'close' });
    },
  );

  it(
    'after phase 5, a request read behind a response that said Connection: close is never started, nor one after ' +
      'Node ended the socket',
    () => {
      const { server, http, connect, request, open } = setup();
      const onRequest = vi.fn();
      server.on('request', onRequest);
      const streaming = connect();
      const head = request(streaming, '/stream');
      http.closeListener();
      head.headersSent = true;
      request(streaming, '/behind');
      const ended = connect();
      request(ended, '/ok');
      ended.writableEnded = true;
      request(ended, '/after-end');
      expect(onRequest.mock.calls.map(([req]) => (req as IncomingMessage).url)).toEqual(['/stream', '/ok']);
      expect(open()).toEqual(['http GET /stream', 'http GET /ok']);
    },
  );

  it("a request emitted as 'checkContinue', then handed on as 'request', is one unit", () => {
    const { server, connect, open } = setup();
    const socket = connect();
    const req = { socket, method: 'POST', url: '/upload' } as unknown as IncomingMessage;
    const res = new FakeResponse() as unknown as ServerResponse;
    server.emit('checkContinue', req, res);
    server.emit('request', req, res);
    expect(open()).toEqual(['http POST /upload']);
  });

  it(
    'a socket that closes while its requests run: each is a ' + 'unit until its handler answers into the void',
    async () => {
      const { connect, request, open } = setup();
      const socket = connect();
      const first = request(socket, '/first');
      const pipelined = request(socket, '/pipelined');
      const streaming = request(socket, '/streaming');
      // Answered, but queued behind /first: Node emits no 'close' for it when the socket closes.
      pipelined.end();
      // Its headers are out: its handler has answered and a stream is being written.
      streaming.headersSent = true;
      socket.emit('close');
      await ticks();
      expect(open()).toEqual(['http GET /first']);
      // The client left; Node emits 'close' on the response, but the handler still runs.
      first.emit('close');
      expect(open()).toEqual(['http GET /first']);
      first.end();
      expect(open()).toEqual([]);
    },
  );

  it('a request whose client left ends when its handler pipes a stream into the response', async () => {
    const { connect, request, open } = setup();
    const socket = connect();
    const res = request(socket, '/file');
    res.emit('close');
    socket.emit('close');
    await ticks();
    expect(open()).toEqual(['http GET /file']);
    res.emit('pipe', new EventEmitter());
    expect(open()).toEqual([]);
  });

  it(
    'a WebSocket is sent 1001 at phase 5 and is a unit until ' + 'its socket closes, cut after the handshake grace',
    async () => {
      const { http, connect, open } = setup();
      const socket = connect();
      const ws = { close: vi.fn() };
      Object.assign(socket, { [Symbol('websocket')]: ws });
      http.closeListener();
      expect(ws.close).toHaveBeenCalledWith(1001, 'going away');
      expect(open()).toEqual(['ws WebSocket close handshake']);
      await vi.advanceTimersByTimeAsync(WEBSOCKET_CLOSE_GRACE_MS);
      expect(socket.destroy).not.toHaveBeenCalled();
      await pastGrace(0);
      expect(socket.destroy).toHaveBeenCalledOnce();
      expect(open()).toEqual([]);
    },
  );

  it('at the cut, a request is aborted by name and its socket destroyed; its later close is not drained', async () => {
    const { ledger, connect, request } = setup();
    ledger.countFromNow();
    const socket = connect();
    const res = request(socket, '/stuck?id=1');
    expect(ledger.cut()).toEqual([{ kind: 'http', name: 'GET /stuck', ageMs: expect.any(Number) }]);
    expect(socket.destroy).toHaveBeenCalledOnce();
    res.finish();
    await ticks();
    expect(ledger.drained).toBe(0);
  });

  it(
    'an engine.io long-poll is waited for but is no work: not ' + 'drained, not aborted; its handshake and POSTs are',
    async () => {
      const { ledger, connect, request, open } = setup();
      ledger.countFromNow();
      const poll = request(connect(), '/socket.io/?EIO=4&transport=polling&t=x&sid=abc');
      const post = request(connect(), '/socket.io/?EIO=4&transport=polling&t=y&sid=abc', 'POST');
      const handshake = request(connect(), '/socket.io/?EIO=4&transport=polling&t=z');
      expect(open()).toEqual([
        'http GET /socket.io/ (Socket.IO long-poll)',
        'http POST /socket.io/',
        'http GET /socket.io/',
      ]);
      post.finish();
      handshake.finish();
      await ticks();
      expect(ledger.drained).toBe(2);
      expect(ledger.cut()).toEqual([]);
      poll.finish();
      await ticks();
      expect(ledger.drained).toBe(2);
    },
  );

  it('destroyAll() destroys every connection left; detach() stops tracking', () => {
    const { server, http, connect, request, open } = setup();
    const sockets = [connect(), connect()];
    http.destroyAll();
    expect(sockets.map((s) => s.destroy.mock.calls.length)).toEqual([1, 1]);
    http.detach();
    request(connect());
    expect(open()).toEqual([
      'http connection awaiting its first request',
      'http connection awaiting its first request',
    ]);
    expect(server.listenerCount('request')).toBe(0);
  });
});
