import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type CatalogCalls, type CatalogEntry, leaveCatalog } from '../../src/registry/consul/catalog-departure';
import { ConsulRegistrarError } from '../../src/registry/consul/consul-errors';

const registration = { id: 'orders-1', address: '10.0.0.5', port: 3000 };
const mine: CatalogEntry = { Node: 'node-1', ServiceID: 'orders-1', ServiceAddress: '10.0.0.5', ServicePort: 3000 };
const AGENT = 'the Consul agent at 127.0.0.1:8500';

/** A catalog holding `entries`; `remove` drops the given node's entries of orders-1, unless `failing`. */
function catalogOf(entries: CatalogEntry[], failing?: Error) {
  const removed: string[] = [];
  const calls: CatalogCalls = {
    entries: async () => {
      if (failing) throw failing;
      return [...entries];
    },
    remove: async (node) => {
      removed.push(node);
      entries = entries.filter((e) => !(e.Node === node && e.ServiceID === 'orders-1'));
    },
  };
  return { calls, removed };
}

describe('leaveCatalog (after the agent took the deregistration)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('returns at once when the catalog no longer lists the instance, removing nothing', async () => {
    const { calls, removed } = catalogOf([]);
    await leaveCatalog(registration, calls, new AbortController().signal, AGENT);
    expect(removed).toEqual([]);
  });

  it('removes an entry the agent did not sync from its node, then sees it gone', async () => {
    const other = { ...mine, Node: 'node-2', ServiceAddress: '10.0.0.6' };
    const { calls, removed } = catalogOf([mine, other]);
    await leaveCatalog(registration, calls, new AbortController().signal, AGENT);
    expect(removed).toEqual(['node-1']);
  });

  it('retries while the catalog cannot be read (no leader), then succeeds once it can', async () => {
    const { calls, removed } = catalogOf([mine]);
    let failures = 3;
    const entries = calls.entries;
    calls.entries = (signal) => (failures-- > 0 ? Promise.reject(new Error('No cluster leader')) : entries(signal));
    const done = leaveCatalog(registration, calls, new AbortController().signal, AGENT);
    await vi.advanceTimersByTimeAsync(300);
    await done;
    expect(failures).toBe(-2);
    expect(removed).toEqual(['node-1']);
  });

  it('fails once its signal fires, naming the last problem: the deregistration is not reported as done', async () => {
    const { calls } = catalogOf([mine], new Error('Unexpected response code: 500 (No cluster leader)'));
    const controller = new AbortController();
    const leaving = leaveCatalog(registration, calls, controller.signal, AGENT).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(3_000);
    controller.abort(new Error('timed out after 3000 ms'));
    const error = await leaving;
    expect(error).toBeInstanceOf(ConsulRegistrarError);
    const message = (error as Error).message;
    expect(message).toMatch(/^the Consul agent at 127\.0\.0\.1:8500 took the deregistration of "orders-1", but /);
    expect(message).toMatch(/the Consul catalog that callers read could not be seen without it within \d+ ms/);
    expect(message).toContain('(last: Unexpected response code: 500 (No cluster leader))');
    expect(error).toMatchObject({ operation: 'deregistration', details: { aborted: true } });
  });
});
