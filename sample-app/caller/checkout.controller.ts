import { BadGatewayException, Controller, Get, Param, Query } from '@nestjs/common';
import { InjectServiceClient, type ServiceClient, ServiceRequestError } from '../../src/discovery';

@Controller('checkout')
export class CheckoutController {
  constructor(@InjectServiceClient('orders') private readonly orders: ServiceClient) {}

  /** Looks the order up in the orders service; `servedBy` says which instance answered. */
  @Get(':id')
  async checkout(
    @Param('id') id: string,
    @Query('delay') delay = '20',
  ): Promise<{ order: unknown; servedBy: string; attempts: number }> {
    try {
      const response = await this.orders.request({
        path: `/orders/${encodeURIComponent(id)}?delay=${Number(delay) || 0}`,
      });
      if (response.statusCode !== 200) {
        await response.body.dump();
        throw new BadGatewayException(`orders answered ${response.statusCode}`);
      }
      return { order: await response.body.json(), servedBy: response.instance.id, attempts: response.attempts };
    } catch (err) {
      if (err instanceof ServiceRequestError) throw new BadGatewayException(err.message);
      throw err;
    }
  }
}
