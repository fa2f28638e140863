import type { ServiceInstance } from '../service-instance.interface.js';

/** @internal The part of one `GET /v1/health/service/<name>` entry the discovery reads. */
export interface ConsulHealthEntry {
  Node?: { Address?: string } | null;
  Service: {
    ID: string;
    Service: string;
    Address?: string;
    Port?: number;
    Meta?: Record<string, string> | null;
  };
}

const ENDPOINT_KEY = /^endpoint_[A-Za-z0-9_-]+$/;

/**
 * @internal The instance as the registrar described it: endpoints from the `endpoint_<scheme>`
 * Meta keys (kratos' convention), else `http://Address:Port` (the node's address when the
 * service has none, as Consul itself does); metadata is the rest of Meta but `version`.
 */
export function instanceFromHealthEntry(entry: ConsulHealthEntry): ServiceInstance {
  const { Service: service } = entry;
  const metadata: Record<string, string> = {};
  const endpoints: string[] = [];
  for (const [key, value] of Object.entries(service.Meta ?? {})) {
    if (ENDPOINT_KEY.test(key)) endpoints.push(value);
    else if (key !== 'version') metadata[key] = value;
  }
  if (endpoints.length === 0) {
    const address = service.Address || entry.Node?.Address;
    if (address && service.Port)
      endpoints.push(`http://${address.includes(':') ? `[${address}]` : address}:${service.Port}`);
  }
  return { id: service.ID, name: service.Service, version: service.Meta?.version ?? '', metadata, endpoints };
}

/** @internal Equal lists give equal keys, whatever the order Consul answered in. */
export function instancesKey(instances: readonly ServiceInstance[]): string {
  return JSON.stringify(
    [...instances]
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((i) => [i.id, i.version, i.endpoints, Object.entries(i.metadata).sort()]),
  );
}
