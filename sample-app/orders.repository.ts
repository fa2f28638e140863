import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';

/** Stands in for a database pool: queries fail once onModuleDestroy has closed it. */
@Injectable()
export class OrdersRepository implements OnModuleDestroy {
  private readonly logger = new Logger(OrdersRepository.name);
  private closed = false;

  async find(id: string): Promise<{ id: string; status: string }> {
    if (this.closed) throw new Error('pool is closed');
    return { id, status: 'shipped' };
  }

  onModuleDestroy(): void {
    this.closed = true;
    this.logger.log('pool closed (after the drain)');
  }
}
