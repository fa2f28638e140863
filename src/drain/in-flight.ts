/** A set of running things that can say when it becomes empty. */
export class InFlight<T> {
  private readonly items = new Set<T>();
  private waiters: Array<() => void> = [];
  /** How many have ended since this was made. */
  completed = 0;

  get size(): number {
    return this.items.size;
  }

  add(item: T): void {
    this.items.add(item);
  }

  delete(item: T): void {
    if (!this.items.delete(item)) return;
    this.completed++;
    if (this.items.size === 0) this.settle();
  }

  values(): IterableIterator<T> {
    return this.items.values();
  }

  /** Resolves once nothing is in flight (at once if nothing is). */
  whenEmpty(): Promise<void> {
    if (this.items.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private settle(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
