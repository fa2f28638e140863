import { createServer } from 'node:net';
import { GracefulLifecycle } from 'nestjs-graceful';
import { ConsulRegistrar } from 'nestjs-graceful/consul';
import { createTestingApp } from './create-testing-app.js';

const instance = {
  id: `consumer-${process.pid}`,
  name: 'consumer',
  version: '1.0.0',
  metadata: {},
  endpoints: ['http://127.0.0.1:3000'],
};

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function agentServices(): Promise<string[]> {
  const res = await fetch(`http://${process.env.CONSUL_HTTP_ADDR}/v1/agent/services`);
  return Object.keys((await res.json()) as Record<string, unknown>);
}

// Jest runs this file in a vm sandbox, where Node's own errors are not `instanceof Error`.
describe('ConsulRegistrar inside the test runner', () => {
  it('fails register() and deregister() against a closed port', async () => {
    const registrar = new ConsulRegistrar({ address: `127.0.0.1:${await closedPort()}` });
    await expect(registrar.register(instance, AbortSignal.timeout(20_000))).rejects.toThrow(
      /refused the connection \(ECONNREFUSED\)/,
    );
    await expect(registrar.deregister(instance, AbortSignal.timeout(20_000))).rejects.toThrow(
      /refused the connection \(ECONNREFUSED\)/,
    );
    await registrar.close();
  });

  it('the consul option marks the registration failed, not registered, when the agent is unreachable', async () => {
    const app = await createTestingApp({
      consul: { address: `127.0.0.1:${await closedPort()}` },
      registerRetryDelay: 60_000,
      registerRetryMaxDelay: 60_000,
    });
    await app.listen(0, '127.0.0.1');
    const lifecycle = app.get(GracefulLifecycle);
    while (lifecycle.registrationStatus === 'pending') await new Promise((resolve) => setTimeout(resolve, 10));
    expect(lifecycle.registrationStatus).toBe('failed');
    expect(lifecycle.registrationError).toMatch(/ECONNREFUSED/);
    await app.close();
  });

  it('registers with the real agent and deregisters from it', async () => {
    const registrar = new ConsulRegistrar({ address: process.env.CONSUL_HTTP_ADDR });
    await registrar.register(instance, AbortSignal.timeout(20_000));
    expect(await agentServices()).toContain(instance.id);
    await registrar.deregister(instance, AbortSignal.timeout(20_000));
    expect(await agentServices()).not.toContain(instance.id);
    await registrar.close();
  });
});
