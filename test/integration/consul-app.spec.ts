import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GracefulLifecycle, type GracefulOptions } from '../../src';
import { type ConsulAgent, reserveConsulPorts, startConsul } from '../support/consul-agent';
import { healthEntries, refused, waitForPassing, whenGone, whenRefused, eventually } from '../support/consul-watch';
import { get } from '../support/http-client';
import { spawnFixture, type SpawnedApp } from '../support/spawn-app';
import { createTestApp, type Platform } from '../support/test-app';

/**
 * GracefulModule.forRoot({ consul }) against a real `consul agent -dev` (issue 4): real apps,
 * real signals, the agent killed, frozen and restarted under them.
 */

interface Report {
  exitCode: number;
  totalMs: number;
  phases: { phase: string; ms: number; ok: boolean; error?: string }[];
}
const reportOf = (output: string): Report => {
  const match = /stop report (\{.*\})/.exec(output);
  if (!match) throw new Error(`no stop report in the output:\n${output}`);
  return JSON.parse(match[1]!) as Report;
};

const uniqueName = (what: string) => `${what}-${randomUUID().slice(0, 8)}`;
const VERSION = '3.1.4';

/** Options naming the instance (name = id, unique per test) and pointing it at an agent. */
function identity(what: string) {
  const name = uniqueName(what);
  return { name, id: `${name}-1`, version: VERSION, metadata: { team: 'payments' } };
}

describe('GracefulModule.forRoot({ consul }) against a real Consul agent', () => {
  let agent: ConsulAgent;
  const apps = new Set<SpawnedApp>();
  const extraAgents = new Set<ConsulAgent>();

  const spawn = async (options: GracefulOptions): Promise<SpawnedApp> => {
    const app = await spawnFixture({ platform: 'express', options });
    apps.add(app);
    return app;
  };
  const agentFor = async (...args: Parameters<typeof startConsul>): Promise<ConsulAgent> => {
    const a = await startConsul(...args);
    extraAgents.add(a);
    return a;
  };

  beforeAll(async () => {
    agent = await startConsul();
  }, 60_000);

  afterEach(async () => {
    for (const app of apps) app.kill('SIGKILL');
    apps.clear();
    // stop() sends SIGCONT first: a frozen agent is never left behind.
    await Promise.all([...extraAgents].map((a) => a.stop()));
    extraAgents.clear();
  });

  afterAll(async () => {
    await agent?.stop();
  });

  describe.each<Platform>(['express', 'fastify'])('an in-process %s app', (platform) => {
    it(
      'is absent from Consul until listen(), then passing with ' +
        'its real address, port and meta; gone after close()',
      async () => {
        const who = identity('inproc');
        const app = await createTestApp(platform, {
          ...who,
          advertiseHost: '127.0.0.1',
          consul: { address: agent.httpAddr },
          signals: [],
          exit: false,
        });
        try {
          await app.init();
          // The module tree is up (onApplicationBootstrap ran) and no registration began.
          expect(app.get(GracefulLifecycle).registrationStatus).toBe('none');
          expect(await healthEntries(agent, who.name)).toEqual([]);
          expect(Object.keys(await agent.get<Record<string, unknown>>('/v1/agent/services'))).not.toContain(who.id);
          expect(app.get(GracefulLifecycle).state).toBe('starting');

          await app.listen(0, '127.0.0.1');
          const port = (app.getHttpServer().address() as AddressInfo).port;
          const entry = await waitForPassing(agent, who.name, who.id);
          expect(entry.Service).toMatchObject({
            ID: who.id,
            Service: who.name,
            Address: '127.0.0.1',
            Port: port,
            Meta: { version: VERSION, team: 'payments', endpoint_http: `http://127.0.0.1:${port}` },
          });
          expect(entry.Checks.find((c) => c.CheckID === `service:${who.id}`)).toMatchObject({
            Status: 'passing',
            Type: 'ttl',
          });
          await eventually('the lifecycle to be ready', async () =>
            app.get(GracefulLifecycle).state === 'ready' ? true : undefined,
          );
        } finally {
          await app.close();
        }
        await whenGone(agent, who.name);
        expect(Object.keys(await agent.get<Record<string, unknown>>('/v1/agent/services'))).not.toContain(who.id);
      },
    );
  });

  it('on SIGTERM leaves Consul before the listener closes (shutdownDelay 500) and exits 0', async () => {
    const who = identity('sigterm');
    const app = await spawn({ ...who, consul: { address: agent.httpAddr }, shutdownDelay: 500 });
    await waitForPassing(agent, who.name, who.id);
    expect(await refused(app.port)).toBe(false);

    // Both watchers run before the signal: a blocking query on the service, and connects every 5 ms.
    const gone = whenGone(agent, who.name);
    const signalledAt = performance.now();
    const closed = whenRefused(app.port, 20_000, 5);
    app.kill('SIGTERM');
    const [goneAt, refusedAt] = await Promise.all([gone, closed]);
    const { code } = await app.exited;

    const deregisterMs = Math.round(goneAt - signalledAt);
    const closeMs = Math.round(refusedAt - signalledAt);
    console.log(`FIGURE consul-deregister-ms=${deregisterMs}`);
    console.log(`FIGURE listener-closed-ms=${closeMs}`);
    expect(goneAt).toBeLessThan(refusedAt);
    expect(code).toBe(0);
    const report = reportOf(app.output());
    expect(report.exitCode).toBe(0);
    const phases = report.phases.map((p) => p.phase);
    expect(report.phases.find((p) => p.phase === 'deregister')).toMatchObject({ ok: true });
    // The listener stays open for the whole shutdownDelay after the deregistration.
    expect(phases.indexOf('deregister')).toBeLessThan(phases.indexOf('delay'));
    expect(phases.indexOf('delay')).toBeLessThan(phases.indexOf('close'));
    expect(report.phases.find((p) => p.phase === 'delay')!.ms).toBeGreaterThanOrEqual(499);
  });

  it('keeps serving while the agent is down at start, and registers once the agent comes up', async () => {
    const ports = await reserveConsulPorts();
    const who = identity('late');
    const app = await spawn({
      ...who,
      consul: { address: `127.0.0.1:${ports.http}` },
      registerRetryDelay: 200,
      registerRetryMaxDelay: 1_000,
    });
    await app.waitForLine(/registration attempt 2 failed .*ECONNREFUSED/, 20_000);
    expect((await get(app.port, '/ping')).status).toBe(200);

    const late = await agentFor({ ports });
    const upAt = performance.now();
    await waitForPassing(late, who.name, who.id);
    // How soon is a figure (the cap of the backoff is unit-tested): registration.spec.ts.
    console.log(`FIGURE consul-late-register-ms=${Math.round(performance.now() - upAt)}`);
    // The app logs once its register call returned, which can be just after Consul shows it passing.
    await app.waitForLine(new RegExp(`registered ${who.name} \\(${who.id}\\) in \\d+ ms after \\d+ attempts`));

    const gone = whenGone(late, who.name);
    app.kill('SIGTERM');
    expect((await app.exited).code).toBe(0);
    await gone;
  }, 60_000);

  describe('the agent unreachable at SIGTERM (registrarTimeout 1000)', () => {
    const registrarTimeout = 1_000;

    it('killed: the stop ends at once, logs the failed deregistration and exits 1', async () => {
      const dead = await agentFor();
      const who = identity('killed');
      const app = await spawn({ ...who, consul: { address: dead.httpAddr }, registrarTimeout });
      await waitForPassing(dead, who.name, who.id);
      dead.kill('SIGKILL');
      await eventually(
        'the agent port to refuse',
        async () => ((await refused(dead.ports.http)) ? true : undefined),
        20_000,
        20,
      );

      const signalledAt = performance.now();
      app.kill('SIGTERM');
      const { code, at } = await app.exited;
      console.log(`FIGURE stop-with-killed-consul-ms=${Math.round(at - signalledAt)}`);
      expect(code).toBe(1);
      const output = app.output();
      expect(output).toMatch(
        new RegExp(`deregister failed after \\d+ ms: .*Consul agent at http://${dead.httpAddr.replace(/\./g, '\\.')}`),
      );
      const deregister = reportOf(output).phases.find((p) => p.phase === 'deregister')!;
      expect(deregister.ok).toBe(false);
      // Refused, not timed out: the registrar does not wait for its bound.
      expect(deregister.error).not.toMatch(/timed out/);
      expect(reportOf(output).exitCode).toBe(1);
    });

    it('frozen (SIGSTOP): the deregistration is abandoned at registrarTimeout, the stop goes on, exit 1', async () => {
      const frozen = await agentFor();
      const who = identity('frozen');
      const app = await spawn({ ...who, consul: { address: frozen.httpAddr }, registrarTimeout });
      await waitForPassing(frozen, who.name, who.id);
      frozen.pause();
      try {
        const signalledAt = performance.now();
        app.kill('SIGTERM');
        const { code, at } = await app.exited;
        const stopMs = Math.round(at - signalledAt);
        console.log(`FIGURE stop-with-frozen-consul-ms=${stopMs}`);
        const output = app.output();
        // Once (CI, load) this stop took 59 ms: the app's own lines say which call ended early, and how.
        expect(stopMs, output).toBeGreaterThanOrEqual(registrarTimeout - 50);
        expect(code).toBe(1);
        expect(output).toMatch(new RegExp(`deregister failed after \\d+ ms: timed out after ${registrarTimeout} ms`));
        const deregister = reportOf(output).phases.find((p) => p.phase === 'deregister')!;
        expect(deregister).toMatchObject({ ok: false });
        expect(deregister.ms).toBeGreaterThanOrEqual(registrarTimeout - 5);
        // The phases after it still ran.
        expect(reportOf(output).phases.map((p) => p.phase)).toEqual(
          expect.arrayContaining(['close', 'drain', 'teardown']),
        );
      } finally {
        frozen.resume();
      }
    });
  });

  it('registers again after the agent restarts under it (TTL heartbeat answered 404)', async () => {
    const restarting = await agentFor();
    const who = identity('restart');
    const app = await spawn({ ...who, consul: { address: restarting.httpAddr, check: { type: 'ttl', ttl: 2_000 } } });
    await waitForPassing(restarting, who.name, who.id);

    await restarting.restart(); // a -dev agent forgets every registration
    const restartedAt = performance.now();
    const entry = await waitForPassing(restarting, who.name, who.id);
    console.log(`FIGURE consul-reregister-after-restart-ms=${Math.round(performance.now() - restartedAt)}`);
    expect(entry.Service.Port).toBe(app.port);
    await app.waitForLine(new RegExp(`no longer knows "${who.id}" \\(heartbeat answered 404\\); registering it again`));

    const gone = whenGone(restarting, who.name);
    app.kill('SIGTERM');
    expect((await app.exited).code).toBe(0);
    await gone;
  }, 60_000);

  it('in HTTP-check mode, Consul polls the readiness path on the instance endpoint and sees it pass', async () => {
    const who = identity('httpcheck');
    const app = await spawnFixture({
      platform: 'express',
      options: { ...who, consul: { address: agent.httpAddr, check: { type: 'http', interval: 1_000 } } },
      health: {},
    });
    apps.add(app);
    const entry = await waitForPassing(agent, who.name, who.id);
    const check = entry.Checks.find((c) => c.ServiceID === who.id)!;
    expect(check.Type).toBe('http');
    expect(check.Output).toContain(`http://127.0.0.1:${app.port}/health/ready`);
    app.kill('SIGTERM');
    expect((await app.exited).code).toBe(0);
  }, 60_000);

  it('an agent that accepts connections but never answers: each message names it and says what to check', async () => {
    const silent = createServer(() => undefined);
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const accepted = new Set<Socket>();
    silent.on('connection', (socket) => accepted.add(socket));
    try {
      const address = `127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const who = identity('silent');
      const app = await spawn({ ...who, consul: { address }, registrarTimeout: 500, registerRetryDelay: 30_000 });
      const line = await app.waitForLine(/registration attempt 1 failed/, 20_000);
      expect(line).toContain(
        `no answer from the Consul agent at http://${address} within 500 ms (registrarTimeout): check that this ` +
          `address is the registry's HTTP API and that it is healthy`,
      );
      expect(accepted.size).toBeGreaterThan(0);
      app.kill('SIGTERM');
      await app.exited;
      // An attempt that got no answer may have registered: the stop tries to deregister, and says who did not answer.
      expect(app.output()).toContain(`no answer from the Consul agent at http://${address} to the deregistration`);
    } finally {
      for (const socket of accepted) socket.destroy();
      silent.close();
    }
  });

  describe('an agent with ACLs (default deny)', () => {
    const masterToken = randomUUID();
    let acl: ConsulAgent;
    beforeAll(async () => {
      acl = await startConsul({ acl: { masterToken } });
    }, 60_000);
    afterAll(async () => {
      await acl?.stop();
    });

    it(
      'with a wrong token: a clear 403 in the log that never shows the token; nothing registered, so no ' +
        'deregistration',
      async () => {
        const wrongToken = `wrong-${randomUUID()}`;
        const who = identity('acl');
        // The next attempt comes 30 s later: none is in flight at the SIGTERM.
        const app = await spawn({
          ...who,
          consul: { address: acl.httpAddr, token: wrongToken },
          registerRetryDelay: 30_000,
        });
        const line = await app.waitForLine(/registration attempt 1 failed/, 20_000);
        const refusal =
          `the Consul agent at ${acl.url} refused the registration ` +
          `(403 Forbidden): the ACL token lacks service:write ` +
          `on "${who.name}" or is invalid; ` +
          'give a token whose policy grants it (option consul.token or CONSUL_HTTP_TOKEN)';
        expect(line).toContain(refusal);
        expect((await get(app.port, '/ping')).status).toBe(200);
        expect(await healthEntries(acl, who.name)).toEqual([]);

        app.kill('SIGTERM');
        const { code } = await app.exited;
        const output = app.output();
        // Consul refused every attempt, so nothing can be registered: no call on stop, exit 0.
        expect(output).toContain(
          `deregistration skipped: the Consul agent at ${acl.url} refused every registration attempt that reached it ` +
            `(last: ${refusal}), so nothing can be registered`,
        );
        expect(output).not.toContain('no registration attempt reached');
        expect(code).toBe(0);
        expect(output).not.toContain(wrongToken);
        expect(output).not.toContain(wrongToken.slice(6, 18));
      },
    );

    it('with a token that may write: registered, deregistered, exit 0, token not logged', async () => {
      const who = identity('acl-ok');
      const app = await spawn({ ...who, consul: { address: acl.httpAddr, token: masterToken } });
      await waitForPassing(acl, who.name, who.id);
      const gone = whenGone(acl, who.name);
      app.kill('SIGTERM');
      expect((await app.exited).code).toBe(0);
      await gone;
      expect(app.output()).not.toContain(masterToken);
    });
  });
});
