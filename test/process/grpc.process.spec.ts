import type { ServiceError } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { grpcClient, type GrpcTestClient, type ServingStatusName } from '../support/grpc-app';
import { spawnApp, type SpawnedApp } from '../support/spawn-app';
import { tryConnect } from '../support/server-process';

const running = new Set<SpawnedApp>();
const clients = new Set<GrpcTestClient>();
afterEach(() => {
  for (const client of clients) client.close();
  clients.clear();
  for (const app of running) app.kill('SIGKILL');
  running.clear();
});

async function start(config: object): Promise<{ app: SpawnedApp; grpcPort: number; client: GrpcTestClient }> {
  const app = await spawnApp('test/fixtures/grpc-server.js', { FIXTURE: JSON.stringify(config) });
  running.add(app);
  const grpcPort = Number((await app.waitForLine(/^GRPC \d+/)).split(' ')[1]);
  const client = grpcClient(`127.0.0.1:${grpcPort}`);
  clients.add(client);
  // Ready (registered: there is no registrar), so the health service says SERVING.
  await app.waitForLine(/^EVENT ready$/);
  return { app, grpcPort, client };
}

const reportOf = (output: string) =>
  JSON.parse(/stop report (\{.*\})/.exec(output)![1]!) as { exitCode: number; drained: number; aborted: unknown[] };

describe('a real process with a gRPC microservice and a real SIGTERM', () => {
  it(
    'unary and server-streaming calls in flight at SIGTERM ' + 'all complete; the pool closes after them; exit 0',
    async () => {
      const { app, client } = await start({ options: { shutdownDelay: 100 } });
      const unary = Array.from({ length: 10 }, (_, id) => client.get({ id, ms: 600 }));
      const streams = Array.from({ length: 3 }, (_, i) => client.stream({ id: 100 + i, ms: 150, count: 5 }));
      for (let id = 0; id < 10; id++) await app.waitForLine(new RegExp(`^EVENT get-entered ${id}$`));
      for (let i = 0; i < 3; i++) await app.waitForLine(new RegExp(`^EVENT stream-entered ${100 + i}$`));
      app.kill('SIGTERM');
      const replies = await Promise.all(unary);
      const streamed = await Promise.all(streams);
      const { code } = await app.exited;
      expect(replies.map((r) => r.id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(streamed.map((messages) => messages.map((m) => m.seq))).toEqual([
        [0, 1, 2, 3, 4],
        [0, 1, 2, 3, 4],
        [0, 1, 2, 3, 4],
      ]);
      expect(code).toBe(0);
      expect(app.output()).toMatch(/EVENT db-closed queries=25 /);
      expect(reportOf(app.output())).toMatchObject({ exitCode: 0, aborted: [] });
      expect(reportOf(app.output()).drained).toBeGreaterThanOrEqual(13);
    },
  );

  it('a Watch subscriber sees NOT_SERVING before the listener closes; its stream then ends cleanly', async () => {
    const { app, grpcPort, client } = await start({ options: {}, holdBeforeStop: true });
    const statuses: ServingStatusName[] = [];
    const call = client.health.Watch({ service: '' });
    const ended = new Promise<string>((resolve) => {
      call.on('error', (error: ServiceError) => resolve(`error ${error.code}`));
      call.on('end', () => resolve('end'));
    });
    const seen = (status: ServingStatusName) =>
      new Promise<void>((resolve) => {
        if (statuses.includes(status)) return resolve();
        call.on('data', () => statuses.includes(status) && resolve());
      });
    call.on('data', (message: { status: ServingStatusName }) => statuses.push(message.status));
    await seen('SERVING');
    app.kill('SIGTERM');
    await seen('NOT_SERVING');
    // The beforeStop hook holds the stop until SIGUSR2: the listener is still open.
    expect(await tryConnect(grpcPort)).toBe('connected');
    expect(await client.check()).toBe('NOT_SERVING');
    app.kill('SIGUSR2');
    expect(await ended).toBe('end');
    expect((await app.exited).code).toBe(0);
    expect(statuses).toEqual(['SERVING', 'NOT_SERVING']);
    expect(await tryConnect(grpcPort)).toBe('ECONNREFUSED');
  });
});
