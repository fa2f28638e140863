import { Server, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import * as grace from '../src/drain/http-grace.constants';
// Starts the app: its server is created after the lines below ran (NestFactory.create is asynchronous).
import '../test/fixtures/server';

/**
 * The fixture app (test/fixtures/server.ts, configured by FIXTURE) for bench:window. With
 * WINDOW_MS, every connection's keep-alive window is that constant (the idle grace too, when
 * shorter) instead of KEEP_ALIVE_WINDOW_MS. On exit it prints `GAPS [...]`: for each request
 * on a reused connection, the time (ms) from the end of the response before it on that
 * connection (its 'finish') until it was emitted.
 * Bench only: the constants of the library are patched here on its compiled module.
 */
if (process.env.WINDOW_MS !== undefined) {
  const windowMs = Number(process.env.WINDOW_MS);
  Object.assign(grace, {
    KEEP_ALIVE_WINDOW_MS: windowMs,
    IDLE_SOCKET_GRACE_MS: Math.min(grace.IDLE_SOCKET_GRACE_MS, windowMs),
  });
}

const answeredAt = new WeakMap<Socket, number>();
const gaps: number[] = [];
const emit = Server.prototype.emit as (this: Server, event: string | symbol, ...args: unknown[]) => boolean;
Server.prototype.emit = function (this: Server, event: string | symbol, ...args: unknown[]): boolean {
  if (event === 'request') {
    const [req, res] = args as [IncomingMessage, ServerResponse];
    const last = answeredAt.get(req.socket);
    if (last !== undefined) gaps.push(Math.round((performance.now() - last) * 10) / 10);
    res.once('finish', () => answeredAt.set(req.socket, performance.now()));
  }
  return emit.call(this, event, ...args);
};
// Writes to a pipe are synchronous on Linux: the line is out before the process ends.
process.on('exit', () => console.log(`GAPS ${JSON.stringify(gaps)}`));
