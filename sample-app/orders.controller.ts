import { Controller, Get, Logger, Param, Query } from '@nestjs/common';
import { WorkTracker } from '../src';
import { OrdersRepository } from './orders.repository';

@Controller('orders')
export class OrdersController {
  private readonly logger = new Logger(OrdersController.name);

  constructor(
    private readonly orders: OrdersRepository,
    private readonly work: WorkTracker,
  ) {}

  /** A slow request: send SIGTERM while it runs and it still gets its answer. */
  @Get(':id')
  async find(@Param('id') id: string, @Query('delay') delay = '2000'): Promise<{ id: string; status: string }> {
    this.logger.log(`order ${id}: answering in ${delay} ms`);
    await new Promise((resolve) => setTimeout(resolve, Number(delay)));
    return this.orders.find(id);
  }

  /** Background work the drain waits for, like a job started by a request. */
  @Get(':id/export')
  export(@Param('id') id: string): { accepted: true } {
    void this.work.track(
      new Promise((resolve) => setTimeout(resolve, 3_000)).then(() => this.orders.find(id)),
      `export order ${id}`,
    );
    return { accepted: true };
  }
}
