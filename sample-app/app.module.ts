import { Module } from '@nestjs/common';
import { GracefulModule } from '../src';
import { GracefulHealthModule } from '../src/health';
import { OrdersController } from './orders.controller';
import { OrdersRepository } from './orders.repository';

@Module({
  imports: [
    GracefulModule.forRoot({
      name: 'orders',
      version: '1.0.0',
      shutdownDelay: 1_000,
      stopTimeout: 10_000,
      // Registers in Consul when an agent address is given (see README).
      consul: process.env.CONSUL_HTTP_ADDR ? { tags: ['sample'] } : undefined,
      beforeStop: ({ reason }) => console.log(`beforeStop hook: stopping because of ${reason}`),
    }),
    GracefulHealthModule.forRoot(),
  ],
  controllers: [OrdersController],
  providers: [OrdersRepository],
})
export class AppModule {}
