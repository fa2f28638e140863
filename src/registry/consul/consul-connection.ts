import { unknownOptionProblem } from '../../common/option-problem.js';
import { type ConsulAddress, resolveConsulAddress } from './consul-address.js';
import { resolveConsulToken } from './consul-token.js';
import { type ConsulTls, resolveConsulTls } from './consul-tls.js';

/** The option keys that say how to reach the agent, the registrar's and the discovery's alike. */
const CONSUL_CONNECTION_KEYS = ['address', 'host', 'port', 'secure', 'token', 'ca', 'cert', 'key'] as const;

/** @internal How to reach the agent, resolved; `address` is undefined when its options had a problem. */
export interface ResolvedConsulConnection {
  address: ConsulAddress | undefined;
  token: string | undefined;
  tls: ConsulTls;
}

/**
 * @internal Lists every key of `o` that is neither a connection key nor one of `ownKeys` (set ones only), then resolves
 * the connection from `o` and `env`, adding each problem to `problems`.
 */
export function resolveConsulConnection(
  o: Record<string, unknown>,
  ownKeys: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  problems: string[],
): ResolvedConsulConnection {
  const known = [...CONSUL_CONNECTION_KEYS, ...ownKeys];
  for (const key of Object.keys(o)) {
    if (!known.includes(key) && o[key] !== undefined) problems.push(unknownOptionProblem(`consul.${key}`, known));
  }
  const address = resolveConsulAddress(o, env, problems);
  const token = resolveConsulToken(o.token, env, problems);
  const tls = resolveConsulTls(o, env, address?.secure ?? false, problems);
  return { address, token, tls };
}
