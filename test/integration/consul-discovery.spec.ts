import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ServiceClient } from '../../src/discovery/service-client';
import type { ServiceRequestError } from '../../src/discovery/service-request.error';
import { ConsulDiscovery } from '../../src/registry/consul/consul-discovery';
import type { ConsulDiscoveryError } from '../../src/registry/consul/consul-errors';
import { type ConsulAgent, startConsul } from '../support/consul-agent';
import { consulPut, type InstanceServer, RecordingLogger, startInstanceServer } from '../support/consul-events';
import { cleanupAfterEach, consulForSuite } from '../support/consul-suite';
import { refused } from '../support/consul-watch';

/**
 * The Consul discovery and the service client against a real `consul agent -dev` (issue 11),
 * with real HTTP servers standing for the instances.
 *
 * Latency: the guide forbids upper time bounds in tests, so these assert the ORDER of events
 * (the check passes, then the client lists the instance, then the next request reaches it;
 * the instance is deregistered, then the client drops it, then its pooled connection closes,
 * while its server is still up and gets nothing more). The watches park for 10 minutes, so a
 * prompt update can only come from the blocking query waking on the change, never from a
 * re-poll. The milliseconds are printed as FIGURE lines; `npm run bench:fleet` reports them.
 */

const unique = (what: string) => `${what}-${randomUUID().slice(0, 8)}`;
const LONG_WAIT = 600_000;

/** Registers `server` as an instance of `name`, with a TTL check (critical until passed) or none (passing). */
function register(agent: ConsulAgent, name: string, server: InstanceServer, check: 'ttl' | 'none', token?: string) {
  const endpoint = `http://127.0.0.1:${server.port}`;
  const body = {
    ID: server.id,
    Name: name,
    Address: '127.0.0.1',
    Port: server.port,
    Tags: ['blue'],
    Meta: { version: '1.0.0', endpoint_http: endpoint },
    ...(check === 'ttl' ? { Check: { CheckID: `service:${server.id}`, Name: 'ttl', TTL: '600s' } } : {}),
  };
  return consulPut(token === undefined ? agent : { ...agent, masterToken: token }, '/agent/service/register', body);
}

describe('ConsulDiscovery and ServiceClient against a real Consul agent', () => {
  const suite = consulForSuite();
  const later = cleanupAfterEach();

  const server = async (id: string) => {
    const s = await startInstanceServer(id);
    later(() => s.close());
    return s;
  };
  const discoveryOn = (a: ConsulAgent, logger: RecordingLogger, extra: object = {}) => {
    const discovery = new ConsulDiscovery({
      address: a.httpAddr,
      wait: LONG_WAIT,
      retryDelay: 100,
      retryMaxDelay: 500,
      logger,
      ...extra,
    });
    later(() => discovery.close());
    return discovery;
  };
  const clientOf = (name: string, discovery: ConsulDiscovery, logger: RecordingLogger) => {
    const client = new ServiceClient(name, discovery, { balancer: 'round-robin' }, logger);
    later(() => client.close());
    return client;
  };
  const body = async (client: ServiceClient, path = '/') => {
    const response = await client.request({ path });
    return { id: response.instance.id, text: await response.body.text() };
  };

  it(
    'an instance appears once its check passes and the next request reaches it; deregistered, it is dropped and its ' +
      'connection closed',
    async () => {
      const name = unique('orders');
      const logger = new RecordingLogger();
      const a = await server(`${name}-a`);
      const b = await server(`${name}-b`);
      await register(suite.agent, name, a, 'ttl');
      const client = clientOf(name, discoveryOn(suite.agent, logger), logger);

      // Registered but critical: the answered list has no instance.
      const none = (await client.request({ path: '/' }).catch((e: unknown) => e)) as ServiceRequestError;
      expect(none.message).toContain('no instance is passing its checks');

      const passAt = performance.now();
      await consulPut(suite.agent, `/agent/check/pass/service:${a.id}`);
      const seen = await logger.waitFor(new RegExp(`added ${a.id} `));
      expect(seen.at).toBeGreaterThan(passAt);
      expect(await body(client)).toEqual({ id: a.id, text: a.id });
      console.log(`FIGURE watch-appear-ms=${(seen.at - passAt).toFixed(1)}`);

      await register(suite.agent, name, b, 'none');
      await logger.waitFor(new RegExp(`added ${b.id} `));
      // Round robin over two: both get one, and each keeps a pooled keep-alive connection.
      const answered = new Set([(await body(client)).id, (await body(client)).id]);
      expect(answered).toEqual(new Set([a.id, b.id]));
      expect(b.connections).toBe(1);

      const deregisterAt = performance.now();
      await consulPut(suite.agent, `/agent/service/deregister/${b.id}`);
      const dropped = await logger.waitFor(new RegExp(`removed ${b.id} `));
      const closedAt = await b.whenNoConnection();
      expect(dropped.at).toBeGreaterThan(deregisterAt);
      expect(closedAt).toBeGreaterThanOrEqual(dropped.at);
      console.log(`FIGURE watch-disappear-ms=${(dropped.at - deregisterAt).toFixed(1)}`);

      // b still listens, and gets nothing more.
      const served = b.requests;
      for (let i = 0; i < 6; i++) expect((await body(client)).id).toBe(a.id);
      expect(b.requests).toBe(served);
      expect(await refused(b.port)).toBe(false);
    },
  );

  it('getService() applies the tag, metadata and datacenter filters on the agent', async () => {
    const name = unique('filtered');
    const logger = new RecordingLogger();
    const a = await server(`${name}-a`);
    await register(suite.agent, name, a, 'none');
    const ids = async (extra: object) =>
      (await discoveryOn(suite.agent, logger, extra).getService(name)).map((i) => i.id);
    expect(await ids({})).toEqual([a.id]);
    expect(await ids({ tags: ['blue'], metadata: { version: '1.0.0' }, datacenter: 'dc1' })).toEqual([a.id]);
    expect(await ids({ tags: ['green'] })).toEqual([]);
    expect(await ids({ metadata: { version: '2.0.0' } })).toEqual([]);
    expect(await ids({ filter: `Service.Port == ${a.port}` })).toEqual([a.id]);
    const bad = (await discoveryOn(suite.agent, logger, { filter: 'Service.Nope ==' })
      .getService(name)
      .catch((e: unknown) => e)) as ConsulDiscoveryError;
    // Consul answers 500 to an unparsable filter; it is still a refusal: retrying cannot help.
    expect(bad.refused).toBe(true);
    expect(bad.message).toMatch(
      new RegExp(
        `^Consul answered 500 to the lookup of "${name}" at http://${suite.agent.httpAddr.replace(/\./g, '\\.')}: ` +
          `Failed to create boolean expression evaluator`,
      ),
    );
  });

  it(
    'keeps serving from the last list while Consul is stopped, ' + 'says it is stale, and follows the restarted agent',
    async () => {
      const name = unique('restart');
      const logger = new RecordingLogger();
      const own = await startConsul();
      later(() => own.stop());
      const a = await server(`${name}-a`);
      const b = await server(`${name}-b`);
      await register(own, name, a, 'none');
      const client = clientOf(name, discoveryOn(own, logger), logger);
      await logger.waitFor(new RegExp(`added ${a.id} `));

      await own.stop();
      expect(await refused(own.ports.http)).toBe(true);
      const stale = await logger.waitFor(/is stale for \d+ ms: kept while the Consul agent at .* cannot be reached/);
      expect(stale.level).toBe('warn');
      for (let i = 0; i < 3; i++) expect(await body(client)).toEqual({ id: a.id, text: a.id });

      // Same ports; a -dev agent starts empty and counts its index from low again.
      const from = logger.lines.length;
      await own.restart();
      const back = await logger.waitFor(/^Consul answers the watch of ".*" again after \d+ ms$/, 10_000, from);
      const gone = await logger.waitFor(new RegExp(`removed ${a.id} `), 10_000, from);
      expect(gone.at).toBeGreaterThanOrEqual(back.at);

      // A watch still parked on the old agent's higher index would miss this for 10 minutes.
      const registerAt = performance.now();
      await register(own, name, b, 'none');
      const added = await logger.waitFor(new RegExp(`added ${b.id} `), 10_000, from);
      expect(added.at).toBeGreaterThan(registerAt);
      expect(await body(client)).toEqual({ id: b.id, text: b.id });
    },
    60_000,
  );

  describe('an agent with ACLs (default deny)', () => {
    const masterToken = randomUUID();
    const aclSuite = consulForSuite({ acl: { masterToken } });

    it(
      'a watch with a wrong token fails loudly: next() rejects with a 403 naming the service, an error is logged, ' +
        'the token never shown',
      async () => {
        const name = unique('acl');
        const a = await server(`${name}-a`);
        await register(aclSuite.agent, name, a, 'none');
        const wrong = `wrong-${randomUUID()}`;
        const logger = new RecordingLogger();
        const watcher = discoveryOn(aclSuite.agent, logger, { token: wrong }).watch(name);
        later(() => watcher.stop());
        const error = (await watcher.next().catch((e: unknown) => e)) as ConsulDiscoveryError;
        expect(error.name).toBe('ConsulDiscoveryError');
        expect(error.statusCode).toBe(403);
        expect(error.service).toBe(name);
        expect(error.message).toBe(
          `the Consul agent at ${aclSuite.agent.url} refused the watch (403 Forbidden): the ACL token lacks ` +
            `service:read (and node:read on its nodes) on "${name}" or is invalid; ` +
            'give a token whose policy grants it (option consul.token or CONSUL_HTTP_TOKEN)',
        );
        const line = await logger.waitFor(/was refused/);
        expect(line.level).toBe('error');

        const client = clientOf(name, discoveryOn(aclSuite.agent, logger, { token: wrong }), logger);
        const failed = (await client.request({ path: '/' }).catch((e: unknown) => e)) as ServiceRequestError;
        expect(failed.failure).toBe('no-instance');
        expect(failed.message).toContain('no instance known yet (the Consul agent at ');
        const everything = [error.message, failed.message, ...logger.lines.map((l) => l.message)].join('\n');
        expect(everything).not.toContain(wrong);
      },
    );

    it(
      'a token that may not read the service: Consul hides the instances, and the watch says so instead of giving ' +
        'an empty list',
      async () => {
        const name = unique('acl-hidden');
        const a = await server(`${name}-a`);
        await register(aclSuite.agent, name, a, 'none');
        const res = await fetch(`${aclSuite.agent.url}/v1/acl/token`, {
          method: 'PUT',
          headers: { 'x-consul-token': masterToken },
          body: JSON.stringify({ Description: 'no policy' }),
        });
        const { SecretID: powerless } = (await res.json()) as { SecretID: string };
        const logger = new RecordingLogger();
        const watcher = discoveryOn(aclSuite.agent, logger, { token: powerless }).watch(name);
        later(() => watcher.stop());
        await expect(watcher.next()).rejects.toThrow(
          `Consul hid instances of "${name}" from the watch (X-Consul-Results-Filtered-By-ACLs)`,
        );
      },
    );

    it('with a token that may read: the instances', async () => {
      const name = unique('acl-ok');
      const a = await server(`${name}-a`);
      await register(aclSuite.agent, name, a, 'none');
      const logger = new RecordingLogger();
      const client = clientOf(name, discoveryOn(aclSuite.agent, logger, { token: masterToken }), logger);
      expect(await body(client)).toEqual({ id: a.id, text: a.id });
      expect(logger.lines.map((l) => l.message).join('\n')).not.toContain(masterToken);
    });
  });
});
