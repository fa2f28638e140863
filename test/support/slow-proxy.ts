import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';

/**
 * A loopback TCP proxy that can turn slow: while `delayMs` is above 0 it holds every chunk, and
 * every end or close, that long in each direction before passing it on, as a congested link to
 * an agent does. What was sent still arrives (a request aborted by its client reaches the agent
 * late, as on a real network); order is kept when the delay changes.
 */
export interface SlowProxy {
  /** `host:port` to give the app instead of the agent's. */
  readonly httpAddr: string;
  /** The hold in each direction, in ms; 0 passes everything on at once. Applies to what is sent from now on. */
  delayMs: number;
  close(): Promise<void>;
}

/** One direction: `to` receives what `from` sent, `delayMs()` later, in order. */
function relay(from: Socket, to: Socket, delayMs: () => number): void {
  let last = 0;
  const later = (act: () => void) => {
    last = Math.max(last, performance.now() + delayMs());
    const wait = last - performance.now();
    if (wait <= 0) act();
    else setTimeout(act, wait);
  };
  from.on('data', (chunk: Buffer) => later(() => !to.destroyed && to.write(chunk)));
  from.on('end', () => later(() => !to.destroyed && to.end()));
  from.on('close', () => later(() => to.destroy()));
  from.on('error', () => undefined);
}

export async function startSlowProxy(target: string): Promise<SlowProxy> {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const sockets = new Set<Socket>();
  const proxy = { delayMs: 0 };
  const server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = connect({ host, port, allowHalfOpen: true });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    }
    relay(client, upstream, () => proxy.delayMs);
    relay(upstream, client, () => proxy.delayMs);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port: own } = server.address() as AddressInfo;
  return Object.assign(proxy, {
    httpAddr: `127.0.0.1:${own}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  });
}
