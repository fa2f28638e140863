import { connect } from 'node:net';
import type { ConsulAgent } from './consul-agent';

/** One entry of `GET /v1/health/service/<name>`. */
export interface HealthEntry {
  Service: { ID: string; Service: string; Address: string; Port: number; Meta: Record<string, string>; Tags: string[] };
  Checks: { CheckID: string; Status: string; Type: string; ServiceID: string; Output: string }[];
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` every `everyMs` until it returns something other than undefined. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await sleep(everyMs);
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`,
  );
}

export function healthEntries(agent: ConsulAgent, name: string, passing = false): Promise<HealthEntry[]> {
  return agent.get<HealthEntry[]>(`/v1/health/service/${encodeURIComponent(name)}${passing ? '?passing' : ''}`);
}

/** Waits until Consul lists `id` under `name` with a passing check, and returns its entry. */
export function waitForPassing(agent: ConsulAgent, name: string, id: string, timeoutMs = 20_000): Promise<HealthEntry> {
  return eventually(
    `"${id}" to be passing in Consul`,
    async () => (await healthEntries(agent, name, true)).find((e) => e.Service.ID === id),
    timeoutMs,
    50,
  );
}

/**
 * Resolves with `performance.now()` at the moment Consul answers a blocking query on
 * `/v1/health/service/<name>` with no entry left: the time the instance left, to the
 * millisecond, without polling. Rejects after `timeoutMs`.
 */
export async function whenGone(agent: ConsulAgent, name: string, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const base = `${agent.url}/v1/health/service/${encodeURIComponent(name)}`;
  const headers: Record<string, string> = agent.masterToken ? { 'x-consul-token': agent.masterToken } : {};
  let index = '0';
  while (Date.now() < deadline) {
    const waitMs = Math.max(10, deadline - Date.now());
    const res = await fetch(`${base}?index=${index}&wait=${waitMs}ms`, {
      headers,
      signal: AbortSignal.timeout(waitMs + 2_000),
    });
    const at = performance.now();
    const entries = (await res.json()) as HealthEntry[];
    if (!res.ok) throw new Error(`GET ${base} answered ${res.status}`);
    if (entries.length === 0) return at;
    index = res.headers.get('x-consul-index') ?? index;
  }
  throw new Error(`"${name}" was still in Consul after ${timeoutMs} ms`);
}

/**
 * Every state `/v1/health/service/<name>` goes through during the next `windowMs`, seen by
 * blocking queries (each change wakes one): for properties that must hold over a window,
 * such as "stays passing past its TTL" or "nothing registers it again". The first state
 * is the current one.
 */
export async function healthStatesDuring(agent: ConsulAgent, name: string, windowMs: number): Promise<HealthEntry[][]> {
  const end = Date.now() + windowMs;
  const base = `${agent.url}/v1/health/service/${encodeURIComponent(name)}`;
  const headers: Record<string, string> = agent.masterToken ? { 'x-consul-token': agent.masterToken } : {};
  const states: HealthEntry[][] = [];
  let index = '0';
  for (let left = windowMs; left > 0; left = end - Date.now()) {
    const res = await fetch(`${base}?index=${index}&wait=${Math.max(10, left)}ms`, {
      headers,
      signal: AbortSignal.timeout(left + 5_000),
    });
    if (!res.ok) throw new Error(`GET ${base} answered ${res.status}`);
    const next = res.headers.get('x-consul-index') ?? index;
    const entries = (await res.json()) as HealthEntry[];
    if (next !== index) states.push(entries);
    index = next;
  }
  return states;
}

/** Whether a TCP connection to 127.0.0.1:`port` is refused (the listener is closed). */
export function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

/** Resolves with `performance.now()` at the first refused connection to `port`, trying every `everyMs`. */
export async function whenRefused(port: number, timeoutMs = 10_000, everyMs = 5): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await refused(port)) return performance.now();
    await sleep(everyMs);
  }
  throw new Error(`127.0.0.1:${port} still accepted connections after ${timeoutMs} ms`);
}
