import type { EventEmitter } from 'node:events';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import Consul from 'consul';
import type { Registrar } from '../registrar.interface.js';
import type { ServiceInstance } from '../service-instance.interface.js';
import { abortableCall } from './abortable-call.js';
import { type CatalogCalls, type CatalogEntry, leaveCatalog } from './catalog-departure.js';
import { formatConsulAddress } from './consul-address.js';
import {
  abortedError,
  type ConsulOperation,
  ConsulRegistrarError,
  isError,
  scrub,
  statusCodeOf,
  translateClientError,
  type TranslateContext,
} from './consul-errors.js';
import {
  type ConsulRegistrarOptions,
  type ResolvedConsulRegistrarOptions,
  resolveConsulRegistrarOptions,
} from './consul-registrar-options.js';
import { buildServiceRegistration, checkIdOf, type ConsulServiceRegistration } from './consul-service-definition.js';
import { Heartbeat } from './heartbeat.js';

/** Beats and looks of the heartbeat get at most this long, and never longer than their interval. */
const MAX_BEAT_TIMEOUT_MS = 5_000;

/**
 * Registers each instance as one Consul service on the local agent, with a TTL check kept
 * passing by a heartbeat (default) or an HTTP check Consul runs against the readiness URL.
 */
export class ConsulRegistrar implements Registrar {
  // ES private fields: util.inspect, JSON.stringify and Nest's providers cannot reach the token,
  // the TLS key or the agent that holds them.
  readonly #options: Readonly<ResolvedConsulRegistrarOptions>;
  readonly #httpAgent: HttpAgent;
  readonly #client: Consul;
  private readonly agentLabel: string;
  /** Names the agent in the lifecycle's messages (registration attempts, skipped deregistration). */
  readonly target: string;
  private readonly heartbeats = new Map<string, Heartbeat>();
  private closed = false;

  constructor(options?: ConsulRegistrarOptions, env: Readonly<Record<string, string | undefined>> = process.env) {
    this.#options = resolveConsulRegistrarOptions(options, env);
    const { address, tls } = this.#options;
    this.agentLabel = formatConsulAddress(address);
    this.target = `the Consul agent at ${this.agentLabel}`;
    // Our own keep-alive agent, so close() can destroy exactly the sockets we opened.
    this.#httpAgent = address.secure ? new HttpsAgent({ keepAlive: true, ...tls }) : new HttpAgent({ keepAlive: true });
    this.#client = new Consul({
      host: address.host,
      port: address.port,
      secure: address.secure,
      agent: this.#httpAgent,
    });
  }

  /** One attempt: the caller retries with backoff and bounds each attempt with `signal`. */
  async register(instance: ServiceInstance, signal: AbortSignal): Promise<void> {
    this.assertOpen('register');
    const registration = buildServiceRegistration(instance, this.#options);
    await this.stopHeartbeat(instance.id);
    await this.registerOnce(instance, registration, signal);
    if (signal.aborted) throw abortedError(this.context('registration', instance), signal.reason, 0);
    this.startHeartbeat(instance, registration);
  }

  async deregister(instance: ServiceInstance, signal: AbortSignal): Promise<void> {
    // First, so a heartbeat's re-registration cannot land after the deregistration.
    await this.stopHeartbeat(instance.id);
    try {
      await this.call('deregistration', instance, signal, (ctx) =>
        this.#client.agent.service.deregister(this.withAuth({ id: instance.id }, ctx)),
      );
    } catch (err) {
      if (!isUnknownService(err)) throw err;
    }
    await leaveCatalog(
      buildServiceRegistration(instance, this.#options),
      this.catalogOf(instance),
      signal,
      this.target,
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.heartbeats.keys()].map((id) => this.stopHeartbeat(id)));
    this.#client.destroy();
    this.#httpAgent.destroy();
  }

  private catalogOf(instance: ServiceInstance): CatalogCalls {
    return {
      entries: (signal) =>
        this.call('deregistration', instance, signal, (ctx) =>
          this.#client.catalog.service.nodes(this.withAuth({ service: instance.name }, ctx)),
        ) as Promise<CatalogEntry[]>,
      remove: async (node, signal) => {
        await this.call('deregistration', instance, signal, (ctx) =>
          this.#client.catalog.deregister(this.withAuth({ node, serviceid: instance.id }, ctx)),
        );
      },
    };
  }

  private async registerOnce(instance: ServiceInstance, registration: ConsulServiceRegistration, signal: AbortSignal) {
    await this.call('registration', instance, signal, (ctx) =>
      this.#client.agent.service.register(this.withAuth({ ...registration, check: { ...registration.check } }, ctx)),
    );
    // A TTL check starts critical: pass it now so the instance is routable at once, not after a heartbeat.
    if (this.#options.check.type === 'ttl') await this.passCheck(instance, signal);
  }

  private passCheck(instance: ServiceInstance, signal: AbortSignal): Promise<unknown> {
    return this.call('heartbeat', instance, signal, (ctx) =>
      this.#client.agent.check.pass(this.withAuth({ id: checkIdOf(instance) }, ctx)),
    );
  }

  private startHeartbeat(instance: ServiceInstance, registration: ConsulServiceRegistration): void {
    const check = this.#options.check;
    const interval = check.type === 'ttl' ? check.heartbeatInterval : check.syncInterval;
    const beat = check.type === 'ttl' ? this.ttlBeat(instance, registration) : this.syncLook(instance, registration);
    const heartbeat = new Heartbeat(interval, Math.min(interval, MAX_BEAT_TIMEOUT_MS), beat, (err) =>
      this.#options.logger.warn(
        `nestjs-graceful: Consul ${check.type === 'ttl' ? 'heartbeat' : 'registration check'} of "${instance.id}" ` +
          `failed: ${isError(err) ? scrub(err.message, this.#options.token) : 'unknown error'}`,
      ),
    );
    this.heartbeats.set(instance.id, heartbeat);
    heartbeat.start();
  }

  private ttlBeat(instance: ServiceInstance, registration: ConsulServiceRegistration) {
    return async (signal: AbortSignal): Promise<void> => {
      try {
        await this.passCheck(instance, signal);
      } catch (err) {
        if (!isUnknownCheck(err)) throw err;
        // The agent forgot the check: it restarted (a -dev or stateless agent) or was reset.
        this.#options.logger.warn(
          `nestjs-graceful: the Consul agent at ${this.agentLabel} no longer knows "${instance.id}" (heartbeat ` +
            `answered 404); registering it again`,
        );
        await this.registerOnce(instance, registration, signal);
      }
    };
  }

  private syncLook(instance: ServiceInstance, registration: ConsulServiceRegistration) {
    return async (signal: AbortSignal): Promise<void> => {
      const services = (await this.call('service lookup', instance, signal, (ctx) =>
        this.#client.agent.service.list(this.withAuth({}, ctx)),
      )) as Record<string, unknown> | undefined;
      if (services && Object.hasOwn(services, instance.id)) return;
      this.#options.logger.warn(
        `nestjs-graceful: the Consul agent at ${this.agentLabel} no longer knows "${instance.id}"; registering it ` +
          `again`,
      );
      await this.registerOnce(instance, registration, signal);
    };
  }

  private async stopHeartbeat(id: string): Promise<void> {
    const heartbeat = this.heartbeats.get(id);
    if (!heartbeat) return;
    this.heartbeats.delete(id);
    await heartbeat.stop();
  }

  /** Runs one client call under `signal`; every failure comes out as a token-free ConsulRegistrarError. */
  private async call<T>(
    operation: ConsulOperation,
    instance: ServiceInstance,
    signal: AbortSignal,
    fn: (ctx: EventEmitter) => Promise<T>,
  ): Promise<T> {
    const started = Date.now();
    const result = await abortableCall(signal, fn);
    if (result.ok) return result.value;
    const context = this.context(operation, instance);
    if (result.aborted) throw abortedError(context, signal.reason, Date.now() - started);
    throw translateClientError(result.error, context);
  }

  private context(operation: ConsulOperation, instance: ServiceInstance): TranslateContext {
    return {
      operation,
      serviceId: instance.id,
      serviceName: instance.name,
      agent: this.agentLabel,
      token: this.#options.token,
    };
  }

  /** The client's typings know neither `ctx` (papi's cancel emitter) nor an absent token. */
  private withAuth<T extends object>(options: T, ctx: EventEmitter): T & { token?: string } {
    const withCtx = { ...options, ctx } as T & { token?: string; ctx: EventEmitter };
    if (this.#options.token !== undefined) withCtx.token = this.#options.token;
    return withCtx;
  }

  private assertOpen(what: string): void {
    if (this.closed) throw new ConsulRegistrarError(`cannot ${what}: the Consul registrar is closed`, 'registration');
  }
}

/** A 404, or the 500 older agents answer instead with `olderText` in the message. */
function isNotFound(err: unknown, olderText: RegExp): boolean {
  const status = err instanceof ConsulRegistrarError ? err.statusCode : statusCodeOf(err);
  return status === 404 || (status === 500 && olderText.test((err as Error).message));
}

const isUnknownCheck = (err: unknown): boolean => isNotFound(err, /unknown check|does not have associated TTL/i);
const isUnknownService = (err: unknown): boolean => isNotFound(err, /unknown service/i);
