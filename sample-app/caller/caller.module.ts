import { Module } from '@nestjs/common';
import { GracefulModule } from '../../src';
import { GracefulHealthModule } from '../../src/health';
import { GracefulDiscoveryModule } from '../../src/discovery';
import { CheckoutController } from './checkout.controller';

/**
 * A second service that calls the orders service by name: the client follows the passing
 * instances of "orders" in Consul (CONSUL_HTTP_ADDR), so a rolling restart of orders goes
 * unnoticed here.
 */
@Module({
  imports: [
    GracefulModule.forRoot({
      name: 'caller',
      version: '1.0.0',
      shutdownDelay: 1_000,
      consul: { tags: ['sample'] },
    }),
    GracefulHealthModule.forRoot(),
    GracefulDiscoveryModule.forRoot({ consul: {}, client: { timeout: 15_000 } }),
    GracefulDiscoveryModule.forFeature(['orders']),
  ],
  controllers: [CheckoutController],
})
export class CallerModule {}
