import 'reflect-metadata';
import { Controller, Get, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import {
  getServiceClientToken,
  GracefulDiscoveryModule,
  type GracefulDiscoveryOptionsError,
  InjectServiceClient,
  type ServiceClient,
  ServiceClients,
} from '../../src/discovery';
import { consulPut, type InstanceServer, startInstanceServer } from '../support/consul-events';
import { consulForSuite } from '../support/consul-suite';
import { createTestApp, type Platform } from '../support/test-app';

/** GracefulDiscoveryModule in real Nest apps (Express and Fastify) against a real Consul suite.agent. */

const SERVICE = 'inventory';

@Controller('proxy')
class ProxyController {
  constructor(@InjectServiceClient(SERVICE) private readonly inventory: ServiceClient) {}

  @Get()
  async proxy(): Promise<{ servedBy: string; text: string }> {
    const response = await this.inventory.request({ path: '/stock' });
    return { servedBy: response.instance.id, text: await response.body.text() };
  }
}

describe('GracefulDiscoveryModule against a real Consul agent', () => {
  const suite = consulForSuite();
  let instance: InstanceServer | undefined;
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
    if (instance) {
      await consulPut(suite.agent, `/agent/service/deregister/${instance.id}`);
      await instance.close();
      instance = undefined;
    }
  });

  describe.each<Platform>(['express', 'fastify'])('in a %s app', (platform) => {
    it('injects a client per service that reaches a passing instance; app.close() ends its connections', async () => {
      const inventory = await startInstanceServer(`${SERVICE}-${platform}`);
      instance = inventory;
      await consulPut(suite.agent, '/agent/service/register', {
        ID: inventory.id,
        Name: SERVICE,
        Address: '127.0.0.1',
        Port: inventory.port,
      });
      app = await createTestApp(
        platform,
        { signals: [], exit: false, advertiseHost: '127.0.0.1' },
        {
          imports: [
            GracefulDiscoveryModule.forRoot({ consul: { address: suite.agent.httpAddr } }),
            GracefulDiscoveryModule.forFeature([SERVICE]),
          ],
          controllers: [ProxyController],
        },
      );
      await app.listen(0, '127.0.0.1');
      if (platform === 'fastify') await app.getHttpAdapter().getInstance().ready();

      const res = await request(app.getHttpServer()).get('/proxy').expect(200);
      expect(res.body).toEqual({ servedBy: inventory.id, text: inventory.id });
      expect(app.get(getServiceClientToken(SERVICE))).toBe(app.get(ServiceClients).get(SERVICE));
      expect(inventory.connections).toBe(1);

      await app.close();
      app = undefined;
      await inventory.whenNoConnection();
      expect(inventory.connections).toBe(0);
    });
  });

  it('forRootAsync() takes the options from a factory', async () => {
    const inventory = await startInstanceServer(`${SERVICE}-async`);
    instance = inventory;
    await consulPut(suite.agent, '/agent/service/register', {
      ID: inventory.id,
      Name: SERVICE,
      Address: '127.0.0.1',
      Port: inventory.port,
    });
    app = await createTestApp(
      'express',
      { signals: [], exit: false, advertiseHost: '127.0.0.1' },
      {
        imports: [
          GracefulDiscoveryModule.forRootAsync({
            useFactory: async () => ({
              consul: { address: suite.agent.httpAddr },
              client: { balancer: 'round-robin' },
            }),
          }),
          GracefulDiscoveryModule.forFeature([SERVICE]),
        ],
        controllers: [ProxyController],
      },
    );
    await app.init();
    expect(app.get(ServiceClients).get(SERVICE).options.balancer).toBe('round-robin');
    const res = await request(app.getHttpServer()).get('/proxy').expect(200);
    expect(res.body).toEqual({ servedBy: inventory.id, text: inventory.id });
  });

  it('forRoot() without consul or discovery fails the bootstrap saying what to give', async () => {
    await expect(
      createTestApp(
        'express',
        { signals: [], exit: false },
        { imports: [GracefulDiscoveryModule.forRoot({}), GracefulDiscoveryModule.forFeature([SERVICE])] },
      ),
    ).rejects.toThrow(
      'nestjs-graceful: invalid GracefulDiscoveryModule.forRoot() options:\n' +
        '  - it needs exactly one of consul (e.g. { consul: {} } to read CONSUL_HTTP_ADDR) or discovery (your own ' +
        'Discovery)',
    );
  });

  it('bad consul options and bad client defaults fail one bootstrap, listed in one error', async () => {
    const error = (await createTestApp(
      'express',
      { signals: [], exit: false },
      {
        imports: [
          GracefulDiscoveryModule.forRoot({
            consul: { address: suite.agent.httpAddr, wait: 5 },
            client: { maxAttempts: 0, timout: 5 } as never,
          }),
          GracefulDiscoveryModule.forFeature([SERVICE]),
        ],
      },
    ).catch((e: unknown) => e)) as GracefulDiscoveryOptionsError;
    expect(error.name).toBe('GracefulDiscoveryOptionsError');
    expect(error.problems).toEqual([
      'option "consul.wait" is 5; it must be a whole number of milliseconds from 1000 to 600000',
      'unknown option "timout" of the client defaults of GracefulDiscoveryModule.forRoot(); did you mean "timeout"? ' +
        'the options are: ' +
        'balancer, maxAttempts, timeout, connectTimeout, bodyTimeout, keepAliveTimeout, connections, allowH2, ' +
        'fallbackWindow, ejectionTime',
      'option "maxAttempts" of the client defaults of GracefulDiscoveryModule.forRoot() is 0; it must be a whole ' +
        'number from 1 to 100',
    ]);
    expect(error.message).toBe(
      `nestjs-graceful: invalid GracefulDiscoveryModule.forRoot() options:\n  - ${error.problems.join('\n  - ')}`,
    );
  });

  it('a bad client option fails the bootstrap naming the service and the option', async () => {
    await expect(
      createTestApp(
        'express',
        { signals: [], exit: false },
        {
          imports: [
            GracefulDiscoveryModule.forRoot({ consul: { address: suite.agent.httpAddr } }),
            GracefulDiscoveryModule.forFeature([{ service: SERVICE, maxAttempts: 0, balancer: 'random' as 'p2c' }]),
          ],
        },
      ),
    ).rejects.toThrow(
      `nestjs-graceful: invalid service client options:\n  - option "balancer" of the client of "${SERVICE}" is ` +
        `"random"; it must be 'p2c' or 'round-robin'\n` +
        `  - option "maxAttempts" of the client of "${SERVICE}" is 0; it must be a whole number from 1 to 100`,
    );
  });
});
