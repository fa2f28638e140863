import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnApp, type SpawnedApp } from '../support/spawn-app';
import { stopFifo } from '../support/stop-fifo';

const running = new Set<SpawnedApp>();
afterEach(() => {
  for (const app of running) app.kill('SIGKILL');
  running.clear();
});

interface LoopResult {
  answered: number[];
  /** The message that failed, and why; the loop stops there. */
  failed?: { id: number; error: string };
}

/** A real Nest TCP client that sends its next message the moment the reply to the last one arrives, until one fails. */
function loopingClient(port: number): { answered(n: number): Promise<void>; finished: Promise<LoopResult> } {
  const client: ClientProxy = ClientProxyFactory.create({
    transport: Transport.TCP,
    options: { host: '127.0.0.1', port },
  });
  const result: LoopResult = { answered: [] };
  const waiters: Array<() => void> = [];
  const finished = (async () => {
    for (let id = 0; ; id++) {
      try {
        const reply = await lastValueFrom(client.send<{ id: number; row: string }>('job', { id, ms: 0 }));
        if (reply.id !== id || reply.row !== 'row') throw new Error(`wrong reply ${JSON.stringify(reply)}`);
        result.answered.push(id);
        for (const waiter of waiters) waiter();
      } catch (error) {
        result.failed = { id, error: error instanceof Error ? error.message : String(error) };
        await client.close();
        return result;
      }
    }
  })();
  return {
    answered: (n) => new Promise((resolve) => waiters.push(() => result.answered.length >= n && resolve())),
    finished,
  };
}

const handledIn = (output: string): number[] =>
  [...output.matchAll(/^EVENT handled (\d+)$/gm)].map((m) => Number(m[1]));

describe('a TCP microservice stopped by a real SIGTERM, with a client that sends its next message at once', () => {
  // Each stop is a race with the client's next message; several at once load the machine as a busy host would.
  it.each([1, 2, 3, 4, 5, 6])(
    'stop %i: every message handled is answered, the one after the drain is refused unhandled, exit 0',
    async () => {
      const app = await spawnApp('test/fixtures/tcp-server.js', { FIXTURE: JSON.stringify({}) });
      running.add(app);
      const client = loopingClient(app.port);
      await client.answered(20);
      app.kill('SIGTERM');
      const [{ code }, result] = await Promise.all([app.exited, client.finished]);
      const handled = handledIn(app.output());
      expect(handled.filter((id) => !result.answered.includes(id))).toEqual([]);
      expect(result.failed?.error).toMatch(/Connection closed|ECONNREFUSED|ECONNRESET/);
      expect(code).toBe(0);
      expect(JSON.parse(/stop report (\{.*\})/.exec(app.output())![1]!)).toMatchObject({ exitCode: 0, aborted: [] });
    },
  );
});

/** A message on a connection of its own: when it connected, and 'ok' once answered, or why it failed. */
function messageOnce(port: number, id: number): { connected: Promise<void>; outcome: Promise<string> } {
  const client: ClientProxy = ClientProxyFactory.create({
    transport: Transport.TCP,
    options: { host: '127.0.0.1', port },
  });
  const connected = client.connect();
  const outcome = (async () => {
    try {
      await connected;
      const reply = await lastValueFrom(client.send<{ id: number; row: string }>('job', { id, ms: 0 }));
      return reply.id === id && reply.row === 'row' ? 'ok' : `wrong reply ${JSON.stringify(reply)}`;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    } finally {
      await client.close();
    }
  })();
  return { connected, outcome };
}

describe('a TCP microservice stopped while the kernel queues connections', () => {
  it(
    'accepts the connections the kernel queued as the stop ' + 'began: each is answered, none reset after its connect',
    async () => {
      const fifo = stopFifo();
      const app = await spawnApp('test/fixtures/tcp-server.js', {
        FIXTURE: JSON.stringify({ blockStopOn: fifo.path }),
      });
      running.add(app);
      app.kill('SIGTERM');
      // The process is blocked (a beforeStop hook reads the FIFO): the kernel completes these
      // handshakes and queues them.
      await app.waitForLine(/^EVENT stop-blocked$/);
      const clients = Array.from({ length: 32 }, (_, id) => messageOnce(app.port, id));
      await Promise.all(clients.map((c) => c.connected));
      fifo.release();
      const seen = await Promise.all(clients.map((c) => c.outcome));
      expect(seen.filter((outcome) => outcome !== 'ok')).toEqual([]);
      expect((await app.exited).code).toBe(0);
      expect(JSON.parse(/stop report (\{.*\})/.exec(app.output())![1]!)).toMatchObject({ exitCode: 0, aborted: [] });
    },
  );
});
