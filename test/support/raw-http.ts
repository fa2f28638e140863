import { connect, type Socket } from 'node:net';

/** What a raw HTTP/1.1 connection received, and how it ended. */
export interface RawEnd {
  /** Every byte the server sent, as text. */
  data: string;
  /** The connection ended with an error (a reset) rather than the server's FIN. */
  error?: string;
}

export interface RawConnection {
  readonly socket: Socket;
  send(text: string): void;
  /** Resolves once what was received matches `pattern`. */
  waitFor(pattern: RegExp): Promise<void>;
  /** Resolves when the connection closed. */
  readonly ended: Promise<RawEnd>;
}

/**
 * A plain TCP connection to write HTTP/1.1 by hand: pipelined requests and `Expect:
 * 100-continue`, which Node's client does not send the way a test needs.
 */
export function rawConnect(port: number): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    let error: string | undefined;
    const waiters = new Set<() => void>();
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      data += chunk;
      for (const waiter of [...waiters]) waiter();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    const ended = new Promise<RawEnd>((done) =>
      socket.once('close', () => done(error === undefined ? { data } : { data, error })),
    );
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve({
        socket,
        send: (text) => socket.write(text),
        waitFor: (pattern) =>
          new Promise((done, fail) => {
            const check = () => {
              if (!pattern.test(data)) return;
              waiters.delete(check);
              done();
            };
            waiters.add(check);
            void ended.then(() => {
              if (waiters.delete(check)) fail(new Error(`connection closed before ${pattern}; received:\n${data}`));
            });
            check();
          }),
        ended,
      });
    });
    socket.once('error', reject);
  });
}

/** The status lines of the responses in `data`, in order (100 Continue included). */
export function statusLines(data: string): string[] {
  return data.match(/HTTP\/1\.1 \d{3}/g) ?? [];
}
