import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Controller, Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import { APP_INTERCEPTOR, NestFactory } from '@nestjs/core';
import { GrpcMethod, Transport } from '@nestjs/microservices';
import { ExpressAdapter } from '@nestjs/platform-express';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Observable } from 'rxjs';
import { GracefulInterceptor, GracefulModule, enableGracefulShutdown, type GracefulOptions } from '../../src';
import { FakeDbPool } from './fake-db';
import { freePort } from './server-process';

/** test/fixtures/grpc, found from the sources (vitest) and from build/ (spawned fixtures) alike. */
export const PROTO_DIR = ((): string => {
  for (let dir = __dirname; dirname(dir) !== dir; dir = dirname(dir)) {
    const candidate = join(dir, 'test', 'fixtures', 'grpc');
    if (existsSync(join(candidate, 'orders.proto'))) return candidate;
  }
  throw new Error(`test/fixtures/grpc/orders.proto not found above ${__dirname}`);
})();

export interface OrderRequest {
  id: number;
  /** Handler time (Get) or time between two messages (Stream). */
  ms: number;
  count?: number;
}

export interface Order {
  id: number;
  row: string;
  seq: number;
}

@Controller()
export class OrdersGrpc {
  /** Called as each handler enters and as each message is sent (the process fixture prints it). */
  static onEvent: (event: string) => void = () => undefined;

  constructor(private readonly db: FakeDbPool) {}

  /** Waits `ms`, then queries the pool: fails if the pool was closed under it. */
  @GrpcMethod('Orders', 'Get')
  async get(request: OrderRequest): Promise<Order> {
    OrdersGrpc.onEvent(`get-entered ${request.id}`);
    return { id: request.id, row: await this.db.slowQuery(request.ms), seq: 0 };
  }

  /** `count` messages, one query each, `ms` apart. */
  @GrpcMethod('Orders', 'Stream')
  stream(request: OrderRequest): Observable<Order> {
    OrdersGrpc.onEvent(`stream-entered ${request.id}`);
    return new Observable<Order>((subscriber) => {
      let stopped = false;
      void (async () => {
        for (let seq = 0; seq < (request.count ?? 1) && !stopped; seq++) {
          subscriber.next({ id: request.id, row: await this.db.slowQuery(request.ms), seq });
        }
        subscriber.complete();
      })().catch((error: unknown) => subscriber.error(error));
      return () => (stopped = true);
    });
  }
}

export interface GrpcApp {
  /** The hybrid app, or the microservice-only app (which has no HTTP server). */
  readonly app: INestApplication;
  readonly grpcPort: number;
  readonly db: FakeDbPool;
}

/**
 * A hybrid app (Express + a gRPC microservice serving orders.Orders) on 127.0.0.1, or with
 * `standalone` a microservice-only app (`NestFactory.createMicroservice()`). With
 * `options`, nestjs-graceful drives it; with `false`, it is plain Nest with
 * `enableShutdownHooks()`, for comparison. `late: true` connects the microservice only
 * after `listen()`: the library finds it at phase 5 instead of at start-up. `interceptor: true`
 * applies GracefulInterceptor to every handler (APP_INTERCEPTOR).
 */
export async function createGrpcApp(
  options: GracefulOptions | false,
  {
    standalone = false,
    late = false,
    grpcPort: chosenPort,
    interceptor = false,
  }: { standalone?: boolean; late?: boolean; grpcPort?: number; interceptor?: boolean } = {},
): Promise<GrpcApp> {
  const grpcPort = chosenPort ?? (await freePort());
  const graceful = options === false ? [] : [GracefulModule.forRoot(options)];
  const global = interceptor ? [{ provide: APP_INTERCEPTOR, useClass: GracefulInterceptor }] : [];
  @Module({ imports: graceful, controllers: [OrdersGrpc], providers: [FakeDbPool, ...global] })
  class GrpcAppModule {}
  const module: DynamicModule = { module: GrpcAppModule };
  const microservice = {
    transport: Transport.GRPC,
    options: { package: 'orders', protoPath: join(PROTO_DIR, 'orders.proto'), url: `127.0.0.1:${grpcPort}` },
  } as const;
  const logger = ['error', 'warn', 'log'] as const;
  if (standalone) {
    const only = await NestFactory.createMicroservice(module, { ...microservice, logger: [...logger] });
    enableGracefulShutdown(only);
    await only.listen();
    return { app: only as unknown as INestApplication, grpcPort, db: only.get(FakeDbPool) };
  }
  const app = await NestFactory.create(module, new ExpressAdapter(), { logger: [...logger], abortOnError: false });
  if (options === false) app.enableShutdownHooks();
  else enableGracefulShutdown(app);
  if (late) await app.listen(0, '127.0.0.1');
  // Global enhancers (APP_INTERCEPTOR) reach a connected microservice only with inheritAppConfig.
  app.connectMicroservice(microservice, { inheritAppConfig: interceptor });
  await app.startAllMicroservices();
  if (!late) await app.listen(0, '127.0.0.1');
  return { app, grpcPort, db: app.get(FakeDbPool) };
}

type Unary<Req, Res> = (
  request: Req,
  callback: (error: grpc.ServiceError | null, response?: Res) => void,
) => grpc.ClientUnaryCall;
type ServerStream<Req, Res> = (request: Req) => grpc.ClientReadableStream<Res>;

export type ServingStatusName = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

interface OrdersClient extends grpc.Client {
  Get: Unary<OrderRequest, Order>;
  Stream: ServerStream<OrderRequest, Order>;
}
interface HealthClient extends grpc.Client {
  Check: Unary<{ service: string }, { status: ServingStatusName }>;
  Watch: ServerStream<{ service: string }, { status: ServingStatusName }>;
}

const definition = protoLoader.loadSync([join(PROTO_DIR, 'orders.proto'), join(PROTO_DIR, 'health.proto')], {
  keepCase: true,
  defaults: true,
  enums: String,
});
const loaded = grpc.loadPackageDefinition(definition) as unknown as {
  orders: {
    Orders: new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => OrdersClient;
  };
  grpc: { health: { v1: { Health: new (address: string, credentials: grpc.ChannelCredentials) => HealthClient } } };
};

/** A real grpc-js client of the fixture's services. `target` may list several servers (round robin). */
export function grpcClient(target: string, channelOptions: grpc.ChannelOptions = {}) {
  const orders = new loaded.orders.Orders(target, grpc.credentials.createInsecure(), channelOptions);
  const health = new loaded.grpc.health.v1.Health(target, grpc.credentials.createInsecure());
  return {
    orders,
    health,
    get: (request: OrderRequest): Promise<Order> =>
      new Promise((resolve, reject) =>
        orders.Get(request, (error, reply) => (error ? reject(error) : resolve(reply!))),
      ),
    stream: (request: OrderRequest): Promise<Order[]> =>
      new Promise((resolve, reject) => {
        const received: Order[] = [];
        const call = orders.Stream(request);
        call.on('data', (order: Order) => received.push(order));
        call.on('error', reject);
        call.on('end', () => resolve(received));
      }),
    check: (service = ''): Promise<ServingStatusName> =>
      new Promise((resolve, reject) =>
        health.Check({ service }, (error, reply) => (error ? reject(error) : resolve(reply!.status))),
      ),
    close: () => {
      orders.close();
      health.close();
    },
  };
}

export type GrpcTestClient = ReturnType<typeof grpcClient>;
