import { Injectable, type OnModuleDestroy } from '@nestjs/common';

/** A stand-in database pool: a query after `onModuleDestroy` closed it throws, like a real pool. */
@Injectable()
export class FakeDbPool implements OnModuleDestroy {
  closedAt?: number;
  queries = 0;
  /** Handlers that entered and will query later. */
  entered = 0;
  lastQueryAt?: number;

  async query(): Promise<string> {
    if (this.closedAt !== undefined) throw new Error('pool is closed');
    this.queries++;
    this.lastQueryAt = performance.now();
    return 'row';
  }

  onModuleDestroy(): void {
    this.closedAt = performance.now();
    const sinceLastQuery = this.lastQueryAt === undefined ? 'none' : (this.closedAt - this.lastQueryAt).toFixed(1);
    console.log(`EVENT db-closed queries=${this.queries} msAfterLastQuery=${sinceLastQuery}`);
  }
}
