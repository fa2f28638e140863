import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { hostname, networkInterfaces } from 'node:os';
import type { AddressInfo, Server } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import { bracketHost } from '../common/host.js';
import type { Registrar } from '../registry/registrar.interface.js';
import { type AppPackage, findAppPackage } from './app-package.js';
import { serviceIdentity } from './service-identity.js';

/** Mutable on purpose: endpoints arrive after `listen()`, and the injected object stays the same. */
export interface MutableAppInfo {
  id: string;
  name: string;
  version: string;
  metadata: Record<string, string>;
  endpoints: string[];
}

/** What the identity is built from: the options' identity fields. */
export interface AppInfoOptions {
  readonly id?: string;
  readonly name?: string;
  readonly version?: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly endpoints?: readonly string[];
  readonly registrar?: Registrar;
}

/**
 * The instance, name and version from the options or the app's package.json; logs where
 * they came from when it was not the options, and warns when there was nothing to take.
 */
export function buildAppInfo(
  options: AppInfoOptions,
  logger: Pick<Logger, 'log' | 'warn'> = new Logger('Graceful'),
  findPackage: () => AppPackage = findAppPackage,
): MutableAppInfo {
  const pkg = options.name && options.version ? {} : findPackage();
  const { name, version, notes } = serviceIdentity({ ...options, hasRegistry: options.registrar !== undefined }, pkg);
  for (const note of notes) logger[note.level](note.message);
  return {
    id: options.id ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
    name,
    version,
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
    warning =
      `no non-internal network interface found; advertising ${host}. Set the "advertiseHost" option to the ` +
      `address others reach this instance at.`;
  }
  return { url: `${scheme}://${bracketHost(host)}:${address.port}`, warning };
}

/** The endpoint of a server that listens on a port (`http://` or `https://`), or undefined. */
export function serverEndpoint(
  server: Server | undefined,
  advertiseHost: string | undefined,
): { url: string; warning?: string } | undefined {
  const address = server?.address();
  if (!address || typeof address === 'string') return undefined;
  return endpointFor(server instanceof TlsServer ? 'https' : 'http', address, advertiseHost);
}
