import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GracefulLifecycle } from '../../src';
import { type ConsulAgent, consulBinary, startConsul } from '../support/consul-agent';
import { eventually, healthEntries } from '../support/consul-watch';
import { createGrpcApp, type GrpcApp } from '../support/grpc-app';
import { freePort } from '../support/server-process';

describe("Consul's native gRPC check against the library's grpc.health.v1 service", () => {
  let agent: ConsulAgent;
  let started: GrpcApp | undefined;

  beforeAll(async () => {
    consulBinary(); // may build it once (minutes on a cold Go cache)
    agent = await startConsul();
  }, 20 * 60_000);
  afterAll(async () => {
    await agent?.stop();
  });
  afterEach(async () => {
    if (started && started.app.get(GracefulLifecycle).state !== 'stopped') await started.app.close();
    started = undefined;
  });

  async function register(name: string, service?: string) {
    const grpcPort = await freePort();
    started = await createGrpcApp(
      {
        exit: false,
        signals: [],
        name,
        endpoints: [`grpc://127.0.0.1:${grpcPort}`],
        consul: { address: agent.httpAddr, check: { type: 'grpc', service, interval: 1_000, timeout: 1_000 } },
      },
      { grpcPort },
    );
    await eventually(`"${name}" in Consul`, async () => (await healthEntries(agent, name))[0]?.Service.ID, 10_000);
    return { grpcPort };
  }

  /** The agent's own view: an output change with no status change reaches the catalog only minutes later. */
  const checkOf = async (name: string) => {
    const checks = await agent.get<Record<string, { ServiceName: string; Status: string; Type: string; Output: string }>>('/v1/agent/checks');
    return Object.values(checks).find((c) => c.ServiceName === name);
  };

  it('passes for a ready app: Consul calls Health/Check on the grpc:// endpoint and gets SERVING', async () => {
    const { grpcPort } = await register('grpc-whole');
    const check = await eventually('a passing gRPC check', async () => {
      const c = await checkOf('grpc-whole');
      return c?.Status === 'passing' ? c : undefined;
    }, 15_000);
    expect(check).toMatchObject({ Type: 'grpc' });
    expect(check.Output).toContain(`127.0.0.1:${grpcPort}`);
    expect(check.Output).toMatch(/success/);
  });

  it('checks one service by name, and is critical for a service the server does not have', async () => {
    await register('grpc-orders', 'orders.Orders');
    await eventually('orders.Orders passing', async () => ((await checkOf('grpc-orders'))?.Status === 'passing' ? true : undefined), 15_000);
    await started!.app.close();
    started = undefined;
    await register('grpc-unknown', 'no.Such');
    const check = await eventually('no.Such critical', async () => {
      const c = await checkOf('grpc-unknown');
      return c?.Status === 'critical' && c.Output !== '' ? c : undefined;
    }, 15_000);
    expect(check.Output).toMatch(/NotFound|not found|unknown service/i);
  });
});
