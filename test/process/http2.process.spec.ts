import { connect, type ClientHttp2Session } from 'node:http2';
import { afterEach, describe, expect, it } from 'vitest';
import { h2get } from '../support/http2-client';
import { selfSignedCertificate } from '../support/self-signed';
import { spawnFixture, type SpawnedApp } from '../support/spawn-app';

const running = new Set<SpawnedApp>();
const clients = new Set<ClientHttp2Session>();
afterEach(() => {
  for (const client of clients) client.destroy();
  clients.clear();
  for (const app of running) app.kill('SIGKILL');
  running.clear();
});

const reportOf = (output: string) =>
  JSON.parse(/stop report (\{.*\})/.exec(output)![1]!) as { exitCode: number; drained: number; aborted: unknown[] };

describe('a real HTTP/2 (Fastify, TLS) process and a real SIGTERM', () => {
  it(
    '20 streams in flight all complete with 200 after GOAWAY; ' + 'the pool closes after them; exit 0, drained 20',
    async () => {
      const app = await spawnFixture({
        platform: 'fastify',
        options: {},
        server: { http2: true, https: selfSignedCertificate() },
      });
      running.add(app);
      const client = connect(`https://127.0.0.1:${app.port}`, { rejectUnauthorized: false });
      clients.add(client);
      client.on('error', () => undefined);
      const replies = Array.from({ length: 20 }, () => h2get(client, '/gated'));
      await app.waitForLine(/^EVENT entered 20$/);
      const goaway = new Promise<number>((resolve) => client.once('goaway', resolve));
      app.kill('SIGTERM');
      expect(await goaway).toBe(0);
      // Released only once the session was told: all 20 end during the drain.
      app.kill('SIGUSR2');
      const results = await Promise.all(replies);
      const { code } = await app.exited;
      expect(results.filter((r) => r.status !== 200)).toEqual([]);
      expect(code).toBe(0);
      expect(/EVENT db-closed queries=(\d+)/.exec(app.output())?.[1]).toBe('20');
      expect(app.output()).not.toMatch(/UnsupportedWarning|connection header/i);
      expect(reportOf(app.output())).toMatchObject({ exitCode: 0, drained: 20, aborted: [] });
    },
  );
});
