import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GracefulLifecycle } from '../../src';
import { cleanupAfterEach, consulForSuite } from '../support/consul-suite';
import { eventually, healthEntries } from '../support/consul-watch';
import { createGrpcApp } from '../support/grpc-app';
import { freePort } from '../support/server-process';

interface AgentCheck {
  ServiceName: string;
  Status: string;
  Type: string;
  Output: string;
}

describe("Consul's native gRPC check against the library's grpc.health.v1 service", () => {
  const suite = consulForSuite();
  const cleanup = cleanupAfterEach();

  /** Registers a gRPC app whose check the real agent runs every second. */
  async function register(what: string, check: { service?: string; target?: (grpcPort: number) => string } = {}) {
    const name = `${what}-${randomUUID().slice(0, 8)}`;
    const grpcPort = await freePort();
    const { app } = await createGrpcApp(
      {
        exit: false,
        signals: [],
        name,
        endpoints: [`grpc://127.0.0.1:${grpcPort}`],
        consul: {
          address: suite.agent.httpAddr,
          check: {
            type: 'grpc',
            service: check.service,
            target: check.target?.(grpcPort),
            interval: 1_000,
            timeout: 1_000,
          },
        },
      },
      { grpcPort },
    );
    cleanup(async () => {
      if (app.get(GracefulLifecycle).state !== 'stopped') await app.close();
    });
    await eventually(
      `"${name}" in Consul`,
      async () => (await healthEntries(suite.agent, name))[0]?.Service.ID,
      10_000,
    );
    return { name, grpcPort, app };
  }

  /** The agent's own view: an output change with no status change reaches the catalog only later. */
  const checkWith = (name: string, status: string) =>
    eventually(
      `a ${status} gRPC check of "${name}"`,
      async () => {
        const checks = await suite.agent.get<Record<string, AgentCheck>>('/v1/agent/checks');
        const check = Object.values(checks).find((c) => c.ServiceName === name);
        return check?.Status === status && check.Output !== '' ? check : undefined;
      },
      20_000,
    );

  it('passes for a ready app: Consul calls Health/Check on the grpc:// endpoint and gets SERVING', async () => {
    const { name, grpcPort } = await register('grpc-whole');
    const check = await checkWith(name, 'passing');
    expect(check.Type).toBe('grpc');
    expect(check.Output).toContain(`127.0.0.1:${grpcPort}`);
    expect(check.Output).toMatch(/SERVING|success/);
  });

  it('checks one service by name on an explicit target', async () => {
    const { name, grpcPort } = await register('grpc-orders', {
      service: 'orders.Orders',
      target: (port) => `localhost:${port}`,
    });
    const check = await checkWith(name, 'passing');
    expect(check.Output).toContain(`localhost:${grpcPort}/orders.Orders`);
  });

  it('is critical for a service the server does not have', async () => {
    const { name } = await register('grpc-unknown', { service: 'no.Such' });
    const check = await checkWith(name, 'critical');
    expect(check.Output).toMatch(/NotFound|not found|unknown service/i);
  });
});
