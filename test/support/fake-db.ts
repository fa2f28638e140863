import { Injectable, type OnModuleDestroy } from '@nestjs/common';

/** A stand-in database pool: a query after `onModuleDestroy` closed it throws, like a real pool. */
@Injectable()
export class FakeDbPool implements OnModuleDestroy {
  closedAt?: number;
  queries = 0;
  /** Handlers that entered and will query later. */
  entered = 0;
  lastQueryAt?: number;
  private openGate!: () => void;
  /** Holds gatedQuery() until the test calls open() (the fixture app: on SIGUSR2). */
  private readonly gate = new Promise<void>((resolve) => (this.openGate = resolve));

  async query(): Promise<string> {
    if (this.closedAt !== undefined) throw new Error('pool is closed');
    this.queries++;
    this.lastQueryAt = performance.now();
    return 'row';
  }

  /**
   * A handler's work: enter, take `ms`, then query (which fails if the pool closed meanwhile).
   * A negative `ms` waits for the gate instead, for tests that count what ends during the drain.
   */
  async slowQuery(ms: number): Promise<string> {
    if (ms < 0) return this.gatedQuery();
    // Lets a process-level test wait until its requests are in their handler.
    console.log(`EVENT entered ${++this.entered}`);
    await new Promise((resolve) => setTimeout(resolve, ms));
    return this.query();
  }

  /** A handler's work that waits for the test: enter, wait until open(), then query. */
  async gatedQuery(): Promise<string> {
    console.log(`EVENT entered ${++this.entered}`);
    await this.gate;
    return this.query();
  }

  open(): void {
    this.openGate();
  }

  onModuleDestroy(): void {
    this.closedAt = performance.now();
    const sinceLastQuery = this.lastQueryAt === undefined ? 'none' : (this.closedAt - this.lastQueryAt).toFixed(1);
    console.log(`EVENT db-closed queries=${this.queries} msAfterLastQuery=${sinceLastQuery}`);
  }
}
