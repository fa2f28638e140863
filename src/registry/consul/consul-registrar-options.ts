import { formatOptionProblem, OptionProblemsError } from '../../common/option-problem.js';
import { MAX_TIMER_MS } from '../../common/timers.js';
import type { ConsulAddress } from './consul-address.js';
import { resolveConsulConnection } from './consul-connection.js';
import {
  type ConsulGrpcCheckOptions,
  type ConsulHttpCheckOptions,
  type ConsulTtlCheckOptions,
  isDuration,
  type ResolvedCheck,
  resolveConsulCheck,
} from './consul-check-options.js';
import { CONSUL_DEFAULTS } from './consul-defaults.js';
import type { ConsulTls } from './consul-tls.js';

export type { ConsulGrpcCheckOptions, ConsulHttpCheckOptions, ConsulTtlCheckOptions, ResolvedCheck };

/** Where the registrar reports heartbeat trouble (a Nest `Logger` fits). */
export interface ConsulRegistrarLogger {
  warn(message: string): void;
  debug?(message: string): void;
}

/** The `consul` option of `GracefulModule.forRoot()`, and what `new ConsulRegistrar()` takes. */
export interface ConsulRegistrarOptions {
  /**
   * `host:port`, `http://host:port` or `https://host:port`; exclusive with host/port/secure. Default:
   * `CONSUL_HTTP_ADDR`, else `127.0.0.1:8500`.
   */
  address?: string;
  /** The agent's host, with `port` and `secure` instead of `address`. Default `127.0.0.1`. */
  host?: string;
  /** Default 8500, or 8501 when `secure`. */
  port?: number;
  /** Talk https to the agent. Default `false` (`CONSUL_HTTP_SSL` for a scheme-less `CONSUL_HTTP_ADDR`). */
  secure?: boolean;
  /**
   * ACL token. Default `CONSUL_HTTP_TOKEN`. Never logged, put in an error message, nor shown by `util.inspect` or
   * `JSON.stringify`.
   */
  token?: string;
  /** CA certificate of an https agent: a file path, a PEM string or a Buffer. Default `CONSUL_CACERT`. */
  ca?: string | Buffer;
  /** Client certificate, with `key`. Default `CONSUL_CLIENT_CERT`. */
  cert?: string | Buffer;
  /** Client key, with `cert`. Default `CONSUL_CLIENT_KEY`. Never shown in a message. */
  key?: string | Buffer;
  /** Service tags. Default `[]`. */
  tags?: readonly string[];
  /** The health check Consul keeps for the instance. Default `{ type: 'ttl' }`. */
  check?: ConsulTtlCheckOptions | ConsulHttpCheckOptions | ConsulGrpcCheckOptions;
  /** Consul removes a service whose check stayed critical this long (ms). Default and minimum 60 000. */
  deregisterCriticalServiceAfter?: number;
  /** Where heartbeat trouble is reported. Default: `console` (a Nest `Logger` under `GracefulModule`). */
  logger?: ConsulRegistrarLogger;
}

/** @internal Options after defaults and environment fallbacks. */
export interface ResolvedConsulRegistrarOptions {
  address: ConsulAddress;
  token: string | undefined;
  tls: ConsulTls;
  tags: string[];
  check: ResolvedCheck;
  deregisterCriticalServiceAfter: number;
  logger: ConsulRegistrarLogger;
}

/**
 * Thrown by `new ConsulRegistrar()` for bad options; `problems` lists every one. Under `GracefulModule` they join its
 * {@link GracefulOptionsError}.
 */
export class ConsulRegistrarOptionsError extends OptionProblemsError {
  constructor(problems: string[]) {
    super('nestjs-graceful: invalid consul options', problems);
    this.name = 'ConsulRegistrarOptionsError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** Besides the connection's, which resolveConsulConnection() knows. */
const OWN_KEYS: readonly (keyof ConsulRegistrarOptions)[] = [
  'tags',
  'check',
  'deregisterCriticalServiceAfter',
  'logger',
];

/** @internal Fills in defaults and env fallbacks and checks everything; lists every problem instead of throwing. */
export function checkConsulRegistrarOptions(
  raw: ConsulRegistrarOptions | undefined,
  env: Env,
): { options: ResolvedConsulRegistrarOptions; problems: [] } | { options?: undefined; problems: string[] } {
  const o = (raw ?? {}) as Record<keyof ConsulRegistrarOptions, unknown>;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) {
    return {
      problems: [
        formatOptionProblem({
          option: 'consul',
          value: o,
          allowed: 'an object of Consul options such as { address: "127.0.0.1:8500" }',
        }),
      ],
    };
  }
  const problems: string[] = [];
  const { address, token, tls } = resolveConsulConnection(o, OWN_KEYS, env, problems);

  let tags: string[] = [];
  if (o.tags !== undefined) {
    if (Array.isArray(o.tags) && o.tags.every((t) => typeof t === 'string' && t !== ''))
      tags = [...(o.tags as string[])];
    else
      problems.push(
        formatOptionProblem({ option: 'consul.tags', value: o.tags, allowed: 'an array of non-empty strings' }),
      );
  }

  const check = resolveConsulCheck(o.check, problems);

  const dcsa = o.deregisterCriticalServiceAfter ?? CONSUL_DEFAULTS.deregisterCriticalServiceAfter;
  if (!isDuration(dcsa, CONSUL_DEFAULTS.deregisterCriticalServiceAfter)) {
    problems.push(
      formatOptionProblem({
        option: 'consul.deregisterCriticalServiceAfter',
        value: dcsa,
        allowed:
          `a whole number of milliseconds from ${CONSUL_DEFAULTS.deregisterCriticalServiceAfter} (Consul's ` +
          `minimum) to ${MAX_TIMER_MS}`,
      }),
    );
  }

  const logger = (o.logger ?? console) as ConsulRegistrarLogger;
  if (typeof logger !== 'object' || logger === null || typeof logger.warn !== 'function') {
    problems.push(
      formatOptionProblem({
        option: 'consul.logger',
        value: logger,
        allowed: 'an object with a warn(message) method, such as a Nest Logger',
      }),
    );
  }

  if (problems.length > 0 || !address || !check) return { problems };
  return {
    options: { address, token, tls, tags, check, deregisterCriticalServiceAfter: dcsa as number, logger },
    problems: [],
  };
}

/**
 * @internal Like {@link checkConsulRegistrarOptions}, but throws one {@link ConsulRegistrarOptionsError} listing every
 * problem.
 */
export function resolveConsulRegistrarOptions(
  raw: ConsulRegistrarOptions | undefined,
  env: Env = process.env,
): ResolvedConsulRegistrarOptions {
  const { options, problems } = checkConsulRegistrarOptions(raw, env);
  if (!options) throw new ConsulRegistrarOptionsError(problems);
  return options;
}
