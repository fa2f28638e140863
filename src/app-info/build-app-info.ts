import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { ResolvedGracefulOptions } from '../graceful-options.js';

/** Mutable on purpose: endpoints arrive after `listen()`, and the injected object stays the same. */
export interface MutableAppInfo {
  id: string;
  name: string;
  version: string;
  metadata: Record<string, string>;
  endpoints: string[];
}

function readPackageJson(): { name?: string; version?: string } {
  try {
    return JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as { name?: string; version?: string };
  } catch {
    return {};
  }
}

export function buildAppInfo(options: ResolvedGracefulOptions): MutableAppInfo {
  const pkg = options.name && options.version ? {} : readPackageJson();
  return {
    id: options.id ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
    name: options.name ?? pkg.name ?? process.env.npm_package_name ?? 'nest-app',
    version: options.version ?? pkg.version ?? process.env.npm_package_version ?? '0.0.0',
    metadata: { ...options.metadata },
    endpoints: options.endpoints ? [...options.endpoints] : [],
  };
}

const WILDCARDS = new Set(['0.0.0.0', '::', '::0', '']);

/** The first non-internal IPv4 address, else the first non-internal IPv6 one. */
export function detectHost(): string | undefined {
  const all = Object.values(networkInterfaces()).flatMap((list) => list ?? []);
  const external = all.filter((a) => !a.internal && !a.address.startsWith('fe80'));
  return (external.find((a) => a.family === 'IPv4') ?? external[0])?.address;
}

/**
 * The URL others reach a listening server at: never a wildcard address. Returns the
 * URL and, when it had to fall back to loopback, a warning to log.
 */
export function endpointFor(
  scheme: string,
  address: AddressInfo,
  advertiseHost: string | undefined,
  detect: () => string | undefined = detectHost,
): { url: string; warning?: string } {
  let host = advertiseHost ?? (WILDCARDS.has(address.address) ? detect() : address.address);
  let warning: string | undefined;
  if (!host) {
    host = '127.0.0.1';
    warning = `no non-internal network interface found; advertising ${host}. Set the "advertiseHost" option to the address others reach this instance at.`;
  }
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  const bracketed = bare.includes(':') ? `[${bare}]` : bare;
  return { url: `${scheme}://${bracketed}:${address.port}`, warning };
}
