import { bracketHost, stripBrackets } from '../../common/host.js';
import { formatOptionProblem } from '../../common/option-problem.js';

/** Where the Consul agent's HTTP API listens. */
export interface ConsulAddress {
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
}

/** The fields of the Consul options that say where the agent is. */
export interface ConsulAddressOptions {
  address?: unknown;
  host?: unknown;
  port?: unknown;
  secure?: unknown;
}

const DEFAULT_HTTP_PORT = 8500;
const DEFAULT_HTTPS_PORT = 8501;
const ADDRESS_FORMS = 'host:port, http://host:port or https://host:port, such as "127.0.0.1:8500"';

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
  if (trimmed === '') return { problem: 'It is empty' };
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed);
  let url: URL;
  try {
    url = new URL(hasScheme ? trimmed : `${secureWithoutScheme ? 'https' : 'http'}://${trimmed}`);
  } catch {
    return { problem: 'It is not host:port nor an http(s) URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { problem: `The scheme "${url.protocol.slice(0, -1)}" is not http or https` };
  }
  // Credentials in the address would end up in error messages; the ACL token is the way to authenticate.
  if (url.username !== '' || url.password !== '')
    return { problem: 'It must not contain user:password@: give the ACL token as consul.token' };
  if (url.pathname !== '/' && url.pathname !== '') return { problem: `It must not have a path ("${url.pathname}")` };
  if (url.search !== '' || url.hash !== '') return { problem: 'It must not have a query or fragment' };
  if (url.hostname === '') return { problem: 'It has no host' };
  const secure = url.protocol === 'https:';
  // URL drops a port equal to the scheme's default (https://c:443 has port ''): read it from the text.
  const explicitPort = /:(\d+)\/?$/.exec(trimmed)?.[1];
  const port =
    url.port !== ''
      ? Number(url.port)
      : explicitPort !== undefined
        ? Number(explicitPort)
        : secure
          ? DEFAULT_HTTPS_PORT
          : DEFAULT_HTTP_PORT;
  return { address: { host: stripBrackets(url.hostname), port, secure } };
}

/** `http://host:port`, for messages (never carries credentials: parseConsulAddress refuses them). */
export function formatConsulAddress(address: ConsulAddress): string {
  return `${address.secure ? 'https' : 'http'}://${bracketHost(address.host)}:${address.port}`;
}

/** The agent's address from `address`, or `host`/`port`/`secure`, or `CONSUL_HTTP_ADDR`, else 127.0.0.1:8500. */
export function resolveConsulAddress(
  o: ConsulAddressOptions,
  env: Readonly<Record<string, string | undefined>>,
  problems: string[],
): ConsulAddress | undefined {
  const partsGiven = o.host !== undefined || o.port !== undefined || o.secure !== undefined;
  if (o.address !== undefined) {
    if (partsGiven) {
      problems.push(
        formatOptionProblem({
          option: 'consul.address',
          value: o.address,
          allowed: 'given alone',
          fix: 'Give either consul.address or consul.host/port/secure, not both',
        }),
      );
      return undefined;
    }
    const parsed = typeof o.address === 'string' ? parseConsulAddress(o.address) : { problem: undefined };
    if ('address' in parsed) return parsed.address;
    problems.push(
      formatOptionProblem({ option: 'consul.address', value: o.address, allowed: ADDRESS_FORMS, fix: parsed.problem }),
    );
    return undefined;
  }
  if (partsGiven) return addressFromParts(o, problems);
  const fromEnv = env.CONSUL_HTTP_ADDR?.trim();
  if (fromEnv) {
    const parsed = parseConsulAddress(fromEnv, /^(1|true)$/i.test(env.CONSUL_HTTP_SSL?.trim() ?? ''));
    if ('address' in parsed) return parsed.address;
    problems.push(
      formatOptionProblem({
        option: 'CONSUL_HTTP_ADDR',
        env: true,
        value: fromEnv,
        allowed: ADDRESS_FORMS,
        fix: parsed.problem,
      }),
    );
    return undefined;
  }
  return { host: '127.0.0.1', port: DEFAULT_HTTP_PORT, secure: false };
}

function addressFromParts(o: ConsulAddressOptions, problems: string[]): ConsulAddress | undefined {
  const before = problems.length;
  if (o.secure !== undefined && typeof o.secure !== 'boolean') {
    problems.push(formatOptionProblem({ option: 'consul.secure', value: o.secure, allowed: 'true or false' }));
  }
  if (o.host !== undefined && (typeof o.host !== 'string' || !/^[^\s/@?#]+$/.test(o.host))) {
    problems.push(
      formatOptionProblem({
        option: 'consul.host',
        value: o.host,
        allowed: 'a host name or IP address such as "127.0.0.1"',
      }),
    );
  }
  if (
    o.port !== undefined &&
    !(typeof o.port === 'number' && Number.isInteger(o.port) && o.port >= 1 && o.port <= 65535)
  ) {
    problems.push(
      formatOptionProblem({ option: 'consul.port', value: o.port, allowed: 'a whole number from 1 to 65535' }),
    );
  }
  if (problems.length > before) return undefined;
  const secure = (o.secure as boolean | undefined) ?? false;
  const host = stripBrackets((o.host as string | undefined) ?? '127.0.0.1');
  return { host, port: (o.port as number | undefined) ?? (secure ? DEFAULT_HTTPS_PORT : DEFAULT_HTTP_PORT), secure };
}
