import type { Dispatcher, Pool } from 'undici';
import { sleep } from '../common/bounded.js';
import type { Discovery, Watcher } from '../registry/discovery.interface.js';
import type { ServiceInstance } from '../registry/service-instance.interface.js';
import { type Balancer, createBalancer } from './balancer.js';
import { describeFailure, failureKind, isIdempotent, mayRetry } from './retry-rules.js';
import {
  type ResolvedServiceClientOptions,
  resolveServiceClientOptions,
  type ServiceClientOptions,
} from './service-client-options.js';
import { type FailedAttempt, ServiceRequestError, type ServiceRequestFailure } from './service-request.error.js';
import { type DiscoveryClientLogger, UpstreamSet } from './upstream-set.js';

/** One request; the body must be replayable (a string or bytes), since it may be sent twice. */
export interface ServiceRequestOptions {
  /** Path and query, e.g. `/orders/7?expand=lines`. */
  path: string;
  /** Default `GET`. */
  method?: Dispatcher.HttpMethod;
  headers?: Record<string, string | string[]>;
  body?: string | Uint8Array;
  /**
   * May the request be sent again after a connection reset before the response head? Default:
   * true for GET, HEAD, OPTIONS, TRACE, PUT, DELETE. Say `true` for a POST that is safe to repeat.
   */
  idempotent?: boolean;
  /** Overrides the client's `timeout` for this request. */
  timeout?: number;
  signal?: AbortSignal;
}

/** undici's response, and which instance answered after how many attempts. */
export interface ServiceResponse extends Dispatcher.ResponseData {
  instance: ServiceInstance;
  attempts: number;
}

/** After the watch rejected: a Discovery that rejects at once must not spin. */
const WATCH_FAILURE_PAUSE_MS = 200;

/**
 * An HTTP client for one service, over the instances a Discovery watch reports passing.
 * Each request goes to one instance chosen by the balancer; when it fails before any handler
 * can have seen it (see retry-rules) it goes to another one, up to `maxAttempts`.
 */
export class ServiceClient {
  readonly options: Readonly<ResolvedServiceClientOptions>;
  private readonly upstreams: UpstreamSet;
  private readonly balancer: Balancer;
  private readonly watcher: Watcher;
  private readonly closing = new AbortController();
  private readonly following: Promise<void>;

  constructor(
    readonly service: string,
    discovery: Discovery,
    options: ServiceClientOptions = {},
    logger: DiscoveryClientLogger = console,
    /** @internal tests give pools that fail on cue */
    createPool?: (origin: string, options: Pool.Options) => Dispatcher,
  ) {
    this.options = resolveServiceClientOptions(service, options);
    this.balancer = createBalancer(this.options.balancer);
    this.upstreams = new UpstreamSet(service, this.options, logger, createPool);
    this.watcher = discovery.watch(service);
    this.following = this.follow();
  }

  /** The instances requests may go to now. */
  get instances(): ServiceInstance[] {
    return this.upstreams.instances;
  }

  async request(request: ServiceRequestOptions): Promise<ServiceResponse> {
    const method = (request.method ?? 'GET').toUpperCase();
    const what = { method, path: request.path };
    if (typeof request.path !== 'string' || !request.path.startsWith('/')) {
      throw new TypeError(
        `the path of a request to "${this.service}" must start with "/"; it is ${JSON.stringify(request.path)}`,
      );
    }
    const idempotent = request.idempotent ?? isIdempotent(method);
    const timeout = request.timeout ?? this.options.timeout;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new Error(`no response within ${timeout} ms`)), timeout);
    const onAbort = () => deadline.abort(request.signal?.reason);
    request.signal?.addEventListener('abort', onAbort, { once: true });
    const forget = () => request.signal?.removeEventListener('abort', onAbort);
    const attempts: FailedAttempt[] = [];
    const tried = new Set<string>();
    const fail = (failure: ServiceRequestFailure, reason: string, cause?: unknown) =>
      new ServiceRequestError(this.service, what, failure, attempts, reason, cause);
    try {
      if (request.signal?.aborted) onAbort();
      await this.upstreams.settled(deadline.signal);
      for (;;) {
        if (deadline.signal.aborted) throw this.ended(fail, timeout, request.signal);
        const candidates = this.upstreams.candidates(tried);
        if (candidates.length === 0) {
          // A restart under way (none passing, one left moments ago): wait for its successor.
          if (await this.upstreams.awaitReplacement(deadline.signal)) continue;
          if (deadline.signal.aborted) throw this.ended(fail, timeout, request.signal);
          throw fail('no-instance', this.noInstanceReason(tried.size), this.upstreams.error);
        }
        const upstream = this.balancer.pick(candidates);
        tried.add(upstream.instance.id);
        const generation = upstream.ejection.generation;
        try {
          const response = await upstream.request({
            method,
            path: request.path,
            headers: request.headers,
            body: request.body,
            signal: deadline.signal,
          });
          response.body.once('close', forget);
          this.upstreams.answered(upstream, generation);
          return Object.assign(response, { instance: upstream.instance, attempts: attempts.length + 1 });
        } catch (err) {
          const error = describeFailure(err);
          attempts.push({ instanceId: upstream.instance.id, endpoint: upstream.origin, error });
          if (deadline.signal.aborted) throw this.ended(fail, timeout, request.signal, err);
          const kind = failureKind(err);
          if (kind === 'not-sent') this.upstreams.unreachable(upstream, error);
          if (!mayRetry(kind, idempotent)) {
            throw fail(
              'failed',
              kind === 'no-response'
                ? `not retried: a ${method} is not idempotent (idempotent: true allows it)`
                : 'not retryable',
              err,
            );
          }
          if (attempts.length >= this.options.maxAttempts)
            throw fail('failed', `${attempts.length} attempts (maxAttempts)`, err);
        }
      }
    } catch (err) {
      forget();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops the watch and ends every connection (requests still in flight are aborted). */
  async close(): Promise<void> {
    this.closing.abort();
    await this.watcher.stop();
    await this.following;
    await this.upstreams.destroy();
  }

  private async follow(): Promise<void> {
    const { signal } = this.closing;
    while (!signal.aborted) {
      try {
        this.upstreams.update(await this.watcher.next(signal));
      } catch (err) {
        if (signal.aborted) return;
        this.upstreams.fail(err);
        await sleep(WATCH_FAILURE_PAUSE_MS, signal);
      }
    }
  }

  private noInstanceReason(tried: number): string {
    if (tried > 0) return 'no other instance left to try';
    if (!this.upstreams.known) {
      const error = this.upstreams.error as { message?: unknown } | undefined;
      return `no instance known yet${typeof error?.message === 'string' ? ` (${error.message})` : ''}`;
    }
    return 'no instance is passing its checks';
  }

  private ended(
    fail: (failure: ServiceRequestFailure, reason: string, cause?: unknown) => ServiceRequestError,
    timeout: number,
    signal: AbortSignal | undefined,
    cause?: unknown,
  ): ServiceRequestError {
    return signal?.aborted
      ? fail('aborted', 'aborted by the caller', cause ?? signal.reason)
      : fail('timeout', `no response within ${timeout} ms (timeout)`, cause);
  }
}
