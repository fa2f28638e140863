import { types } from 'node:util';

export type ConsulOperation = 'registration' | 'deregistration' | 'heartbeat' | 'service lookup';

/**
 * Every failure the registrar rethrows. It never wraps the client's error as `cause`: that
 * error carries the request (and its `X-Consul-Token` header) in `response.req`.
 */
export class ConsulRegistrarError extends Error {
  constructor(
    message: string,
    readonly operation: ConsulOperation,
    readonly details: {
      statusCode?: number;
      code?: string;
      aborted?: boolean;
      /** Why the signal fired (its reason), when aborted. */
      abortReason?: unknown;
    } = {},
  ) {
    super(message);
    this.name = 'ConsulRegistrarError';
  }

  get statusCode(): number | undefined {
    return this.details.statusCode;
  }

  /** The network error code (`ECONNREFUSED`, …) when the request failed before an answer. */
  get code(): string | undefined {
    return this.details.code;
  }

  get aborted(): boolean {
    return this.details.aborted === true;
  }
}

/**
 * Whether `value` is an Error made in any realm. `instanceof Error` is false for an error from
 * another realm, such as Node's own errors seen from inside Jest's sandbox.
 */
export function isError(value: unknown): value is Error {
  const isErrorOfAnyRealm = (Error as { isError?: (v: unknown) => boolean }).isError; // Node 24+
  return value instanceof Error || (isErrorOfAnyRealm ? isErrorOfAnyRealm(value) : types.isNativeError(value));
}

/** Replaces every occurrence of the secret; the token may echo back in a URL, a body or a header dump. */
export function scrub(text: string, secret: string | undefined): string {
  if (!secret) return text;
  return text.split(secret).join('[redacted]');
}

interface ClientErrorShape {
  message?: unknown;
  code?: unknown;
  statusCode?: unknown;
  isAbort?: unknown;
  isTimeout?: unknown;
  cause?: { code?: unknown };
}

/** The status code of a `consul`/papi response error, if the agent answered. */
export function statusCodeOf(err: unknown): number | undefined {
  try {
    const status = (err as ClientErrorShape | null)?.statusCode;
    return typeof status === 'number' ? status : undefined;
  } catch {
    return undefined;
  }
}

export interface TranslateContext {
  operation: ConsulOperation;
  serviceId: string;
  serviceName: string;
  agent: string;
  token: string | undefined;
}

const OPERATION_VERB: Record<ConsulOperation, string> = {
  registration: 'registration',
  deregistration: 'deregistration',
  heartbeat: 'heartbeat (TTL check pass)',
  'service lookup': 'service lookup',
};

/** @internal What {@link describeClientError} needs to say which call failed, and where. */
export interface DescribeContext {
  /** e.g. `registration`, `watch`. */
  verb: string;
  /** The ACL permission the call needs, for a 403. */
  permission: string;
  /** The service id or name the call was about. */
  subject: string;
  serviceName: string;
  agent: string;
  token: string | undefined;
}

/** What a Consul error knows besides its message. */
export type ConsulErrorDetails = ConsulRegistrarError['details'];

/** @internal A clear, token-free message for whatever a Consul call threw (a client error or an HTTP status). */
export function describeClientError(
  err: unknown,
  ctx: DescribeContext,
): { message: string; details: ConsulErrorDetails } {
  const e = (err ?? {}) as ClientErrorShape;
  const { verb } = ctx;
  const status = statusCodeOf(err);
  const raw = typeof e.message === 'string' ? e.message : String(err);
  // papi prefixes "consul: agent.service.register: "; the operation is said better below.
  const detail = scrub(raw.replace(/^consul: [a-z.]+: /i, ''), ctx.token);

  if (status === 403) {
    return {
      message:
        `the Consul agent at ${ctx.agent} refused the ${verb} (403 Forbidden): the ACL token lacks ${ctx.permission} ` +
        `on "${ctx.serviceName}" or is invalid; ` +
        `give a token whose policy grants it (option consul.token or CONSUL_HTTP_TOKEN)`,
      details: { statusCode: 403 },
    };
  }
  if (status === 401) {
    return {
      message:
        `the Consul agent at ${ctx.agent} refused the ${verb} (401 Unauthorized): it requires an ACL token ` +
        `(option consul.token or CONSUL_HTTP_TOKEN)`,
      details: { statusCode: 401 },
    };
  }
  if (status !== undefined) {
    return {
      message: `Consul answered ${status} to the ${verb} of "${ctx.subject}" at ${ctx.agent}: ${detail}`,
      details: { statusCode: status },
    };
  }
  const code = typeof e.code === 'string' ? e.code : typeof e.cause?.code === 'string' ? e.cause.code : undefined;
  if (code === 'ECONNREFUSED') {
    return {
      message:
        `the Consul agent at ${ctx.agent} refused the connection (ECONNREFUSED) during the ${verb} of ` +
        `"${ctx.subject}": is the agent running?`,
      details: { code },
    };
  }
  return {
    message:
      `the ${verb} of "${ctx.subject}" with the Consul agent at ${ctx.agent} ` +
      `failed${code ? ` (${code})` : ''}: ${detail}`,
    details: code ? { code } : {},
  };
}

/** Turns whatever the client threw into a clear {@link ConsulRegistrarError} without the token. */
export function translateClientError(err: unknown, ctx: TranslateContext): ConsulRegistrarError {
  const { message, details } = describeClientError(err, {
    verb: OPERATION_VERB[ctx.operation],
    permission: ctx.operation === 'service lookup' ? 'service:read' : 'service:write',
    subject: ctx.serviceId,
    serviceName: ctx.serviceName,
    agent: ctx.agent,
    token: ctx.token,
  });
  return new ConsulRegistrarError(message, ctx.operation, details);
}

export function abortedError(ctx: TranslateContext, reason: unknown, elapsedMs: number): ConsulRegistrarError {
  const why = isError(reason) ? `${reason.name}: ${reason.message}` : reason === undefined ? 'aborted' : String(reason);
  return new ConsulRegistrarError(
    `the ${OPERATION_VERB[ctx.operation]} of "${ctx.serviceId}" with the Consul agent at ${ctx.agent} was abandoned ` +
      `after ${elapsedMs} ms (${scrub(why, ctx.token)})`,
    ctx.operation,
    { aborted: true, abortReason: reason },
  );
}

/** Every failure of the Consul discovery: names the service, never carries the token. */
export class ConsulDiscoveryError extends Error {
  /**
   * The agent refused the query (a 4xx but 429, or a filter it cannot parse): retrying cannot
   * help until the token, the policy or the filter is fixed.
   */
  readonly refused: boolean;

  constructor(
    message: string,
    readonly service: string,
    readonly details: ConsulErrorDetails = {},
    refused?: boolean,
  ) {
    super(message);
    this.name = 'ConsulDiscoveryError';
    const status = details.statusCode;
    this.refused = refused ?? (status !== undefined && status >= 400 && status < 500 && status !== 429);
  }

  get statusCode(): number | undefined {
    return this.details.statusCode;
  }
}
