import 'reflect-metadata';
import { Controller, Get, Injectable, Module, type OnModuleDestroy, Param, Query } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { OrdersRepository } from '../sample-app/orders.repository';

/**
 * The baseline of `npm run bench:fleet`: the sample's orders service as plain Nest does it,
 * without nestjs-graceful. It registers in Consul after listen() and deregisters in
 * onModuleDestroy, under Nest's own `enableShutdownHooks()`. Env: CONSUL_HTTP_ADDR, PORT,
 * SERVICE_NAME. Prints `registered <name> (<id>)`.
 */
const consul = `http://${process.env.CONSUL_HTTP_ADDR ?? '127.0.0.1:8500'}`;
const name = process.env.SERVICE_NAME ?? 'orders-plain';
const port = Number(process.env.PORT ?? 3000);
const id = `${name}-${process.pid}`;

@Injectable()
class ConsulSelfRegistration implements OnModuleDestroy {
  async register(): Promise<void> {
    await put('/v1/agent/service/register', { ID: id, Name: name, Address: '127.0.0.1', Port: port });
    console.log(`registered ${name} (${id})`);
  }

  async onModuleDestroy(): Promise<void> {
    await put(`/v1/agent/service/deregister/${id}`);
  }
}

@Controller('orders')
class PlainOrdersController {
  constructor(private readonly orders: OrdersRepository) {}

  @Get(':id')
  async find(@Param('id') orderId: string, @Query('delay') delay = '2000'): Promise<{ id: string; status: string }> {
    await new Promise((resolve) => setTimeout(resolve, Number(delay)));
    return this.orders.find(orderId);
  }
}

@Module({ controllers: [PlainOrdersController], providers: [OrdersRepository, ConsulSelfRegistration] })
class PlainOrdersModule {}

async function put(path: string, body?: unknown): Promise<void> {
  const res = await fetch(`${consul}${path}`, {
    method: 'PUT',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`PUT ${path} answered ${res.status}`);
}

async function main(): Promise<void> {
  const app = await NestFactory.create(PlainOrdersModule, { logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  await app.listen(port, '127.0.0.1');
  await app.get(ConsulSelfRegistration).register();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(2);
});
