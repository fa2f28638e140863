/** Where the Consul agent's HTTP API listens. */
export interface ConsulAddress {
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
}

const DEFAULT_HTTP_PORT = 8500;
const DEFAULT_HTTPS_PORT = 8501;

/**
 * Parses the forms `CONSUL_HTTP_ADDR` accepts: `host:port`, `http://host:port`,
 * `https://host:port` (IPv6 in brackets). Returns an explanation instead of throwing so the
 * caller can name the option the value came from.
 */
export function parseConsulAddress(
  value: string,
  secureWithoutScheme = false,
): { address: ConsulAddress } | { problem: string } {
  const trimmed = value.trim();
  if (trimmed === '') return { problem: 'it is empty' };
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed);
  let url: URL;
  try {
    url = new URL(hasScheme ? trimmed : `${secureWithoutScheme ? 'https' : 'http'}://${trimmed}`);
  } catch {
    return { problem: 'it is not host:port nor an http(s) URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { problem: `the scheme "${url.protocol.slice(0, -1)}" is not http or https` };
  }
  // Credentials in the address would end up in error messages; the ACL token is the way to authenticate.
  if (url.username !== '' || url.password !== '') return { problem: 'it must not contain user:password@' };
  if (url.pathname !== '/' && url.pathname !== '') return { problem: `it must not have a path ("${url.pathname}")` };
  if (url.search !== '' || url.hash !== '') return { problem: 'it must not have a query or fragment' };
  if (url.hostname === '') return { problem: 'it has no host' };
  const secure = url.protocol === 'https:';
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  // URL drops a port equal to the scheme's default (https://c:443 has port ''): read it from the text.
  const explicitPort = /:(\d+)\/?$/.exec(trimmed)?.[1];
  const port = url.port !== '' ? Number(url.port) : explicitPort !== undefined ? Number(explicitPort) : secure ? DEFAULT_HTTPS_PORT : DEFAULT_HTTP_PORT;
  return { address: { host, port, secure } };
}

/** `http://host:port`, for messages (never carries credentials: parseConsulAddress refuses them). */
export function formatConsulAddress(address: ConsulAddress): string {
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `${address.secure ? 'https' : 'http'}://${host}:${address.port}`;
}
