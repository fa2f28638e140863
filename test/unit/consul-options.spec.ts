import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import { inspect } from 'node:util';
import {
  CONSUL_DEFAULTS,
  ConsulRegistrar,
  ConsulRegistrarOptionsError,
  type ConsulRegistrarOptions,
} from '../../src/registry/consul';
import { resolveConsulRegistrarOptions } from '../../src/registry/consul/consul-registrar-options';
import { buildServiceRegistration } from '../../src/registry/consul/consul-service-definition';
import { scrub, translateClientError } from '../../src/registry/consul/consul-errors';

const problemsOf = (options: unknown, env: Record<string, string | undefined> = {}): string[] => {
  try {
    resolveConsulRegistrarOptions(options as ConsulRegistrarOptions, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConsulRegistrarOptionsError);
    return (err as ConsulRegistrarOptionsError).problems;
  }
  return [];
};

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('consul registrar options', () => {
  it('defaults to http://127.0.0.1:8500, a 10 s TTL beaten every third and a 1 m deregistration', () => {
    const o = resolveConsulRegistrarOptions({}, {});
    expect(o.address).toEqual({ host: '127.0.0.1', port: 8500, secure: false });
    expect(o.token).toBeUndefined();
    expect(o.check).toEqual({ type: 'ttl', ttl: 10_000, heartbeatInterval: 3_333 });
    expect(o.deregisterCriticalServiceAfter).toBe(60_000);
    expect(o.tags).toEqual([]);
  });

  it.each([
    ['10.0.0.5:8500', { host: '10.0.0.5', port: 8500, secure: false }],
    ['http://consul.local:8600', { host: 'consul.local', port: 8600, secure: false }],
    ['https://consul.local', { host: 'consul.local', port: 8501, secure: true }],
    ['https://consul.local:443', { host: 'consul.local', port: 443, secure: true }],
    ['http://consul.local:80', { host: 'consul.local', port: 80, secure: false }],
    ['[::1]:8500', { host: '::1', port: 8500, secure: false }],
    ['consul.local', { host: 'consul.local', port: 8500, secure: false }],
  ])('parses the address %s', (address, expected) => {
    expect(resolveConsulRegistrarOptions({ address }, {}).address).toEqual(expected);
    expect(resolveConsulRegistrarOptions({}, { CONSUL_HTTP_ADDR: address }).address).toEqual(expected);
  });

  it('takes host/port/secure', () => {
    expect(resolveConsulRegistrarOptions({ host: 'c1', port: 9000 }, {}).address).toEqual({
      host: 'c1',
      port: 9000,
      secure: false,
    });
    expect(resolveConsulRegistrarOptions({ secure: true }, {}).address).toEqual({
      host: '127.0.0.1',
      port: 8501,
      secure: true,
    });
  });

  it('prefers options over the environment, and the environment over defaults', () => {
    const env = { CONSUL_HTTP_ADDR: 'https://from-env:8501', CONSUL_HTTP_TOKEN: 'env-token' };
    const fromEnv = resolveConsulRegistrarOptions({}, env);
    expect(fromEnv.address).toEqual({ host: 'from-env', port: 8501, secure: true });
    expect(fromEnv.token).toBe('env-token');
    const fromOptions = resolveConsulRegistrarOptions({ address: 'opt:1234', token: 'opt-token' }, env);
    expect(fromOptions.address).toEqual({ host: 'opt', port: 1234, secure: false });
    expect(fromOptions.token).toBe('opt-token');
    expect(resolveConsulRegistrarOptions({}, { CONSUL_HTTP_TOKEN: '  ' }).token).toBeUndefined();
  });

  it('honours CONSUL_HTTP_SSL for a scheme-less CONSUL_HTTP_ADDR', () => {
    expect(
      resolveConsulRegistrarOptions({}, { CONSUL_HTTP_ADDR: 'c:8501', CONSUL_HTTP_SSL: 'true' }).address.secure,
    ).toBe(true);
  });

  it('reads TLS material from paths, PEM strings, Buffers and the CONSUL_* variables', () => {
    const dir = mkdtempSync(join(tmpdir(), 'consul-opts-'));
    const caPath = join(dir, 'ca.pem');
    writeFileSync(caPath, PEM);
    const o = resolveConsulRegistrarOptions(
      { address: 'https://c:8501', ca: caPath, cert: PEM, key: Buffer.from('k') },
      {},
    );
    expect(o.tls.ca?.toString()).toBe(PEM);
    expect(o.tls.cert?.toString()).toBe(PEM);
    expect(o.tls.key?.toString()).toBe('k');

    const certPath = join(dir, 'cert.pem');
    const keyPath = join(dir, 'key.pem');
    writeFileSync(certPath, PEM);
    writeFileSync(keyPath, 'KEY');
    const e = resolveConsulRegistrarOptions(
      {},
      {
        CONSUL_HTTP_ADDR: 'https://c:8501',
        CONSUL_CACERT: caPath,
        CONSUL_CLIENT_CERT: certPath,
        CONSUL_CLIENT_KEY: keyPath,
      },
    );
    expect(e.tls.ca?.toString()).toBe(PEM);
    expect(e.tls.key?.toString()).toBe('KEY');
    // TLS variables are ignored for a plain-http agent, as the consul CLI does.
    expect(resolveConsulRegistrarOptions({}, { CONSUL_CACERT: '/nope' }).tls).toEqual({});
  });

  it('accepts an HTTP check with defaults', () => {
    const o = resolveConsulRegistrarOptions({ check: { type: 'http', url: 'http://10.0.0.5:3000/health/ready' } }, {});
    expect(o.check).toEqual({
      type: 'http',
      url: 'http://10.0.0.5:3000/health/ready',
      path: '/health/ready',
      interval: 10_000,
      timeout: 5_000,
      tlsSkipVerify: false,
      syncInterval: 10_000,
    });
  });

  it.each<[string, unknown, RegExp]>([
    [
      'a bad address',
      { address: 'ftp://c:21' },
      /option "consul\.address" is "ftp:\/\/c:21"; it must be host:port, .*\. The scheme "ftp" is not http or https/,
    ],
    [
      'an address with a path',
      { address: 'http://c:8500/v1' },
      /option "consul\.address" is "http:\/\/c:8500\/v1"; .*It must not have a path/,
    ],
    ['an address that is not a string', { address: 8500 }, /option "consul\.address" is 8500; it must be host:port/],
    [
      'credentials in the address',
      { address: 'http://u:p@c:8500' },
      /must not contain user:password@: give the ACL token as consul\.token/,
    ],
    [
      'address with host',
      { address: 'c:8500', host: 'd' },
      /option "consul\.address" is "c:8500"; it must be given alone\. Give either consul\.address or .*\/port\/secure/,
    ],
    ['a bad port', { port: 70000 }, /option "consul\.port" is 70000; it must be a whole number from 1 to 65535/],
    ['a bad secure', { secure: 'yes' }, /option "consul\.secure" is "yes"; it must be true or false/],
    ['bad tags', { tags: ['a', ''] }, /option "consul\.tags" is \["a",""\]; it must be an array of non-empty strings/],
    [
      'a short deregisterCriticalServiceAfter',
      { deregisterCriticalServiceAfter: 30_000 },
      /option "consul\.deregisterCriticalServiceAfter" is 30000; .*from 60000 \(Consul's minimum\)/,
    ],
    [
      'a short ttl',
      { check: { type: 'ttl', ttl: 500 } },
      /option "consul\.check\.ttl" is 500; it must be a whole number of milliseconds from 1000/,
    ],
    [
      'a heartbeat not shorter than the ttl',
      { check: { type: 'ttl', ttl: 5_000, heartbeatInterval: 5_000 } },
      /"consul\.check\.heartbeatInterval" is 5000; it must be shorter than .*ttl \(5000\)\. ttl \/ 3 is usual/,
    ],
    [
      'an unknown check type',
      { check: { type: 'tcp' } },
      /option "consul\.check" is \{"type":"tcp"\}; it must be \{ type: 'ttl'/,
    ],
    [
      'an HTTP check with a url that is not http(s)',
      { check: { type: 'http', url: 'ftp://a/r' } },
      /option "consul\.check\.url" is "ftp:\/\/a\/r"; it must be an http\(s\) URL/,
    ],
    [
      'an HTTP check path without a leading slash',
      { check: { type: 'http', path: 'health' } },
      /option "consul\.check\.path" is "health"; it must be a path starting with "\/"/,
    ],
    [
      'an HTTP check timeout above its interval',
      { check: { type: 'http', url: 'http://a/r', interval: 2_000, timeout: 3_000 } },
      /option "consul\.check\.timeout" is 3000; it must be at most consul\.check\.interval \(2000\)/,
    ],
    [
      'TLS on plain http',
      { address: 'http://c:8500', ca: PEM },
      /option "consul\.ca" is a string; it must be left out for a plain-http agent\. Use an https:\/\/ address/,
    ],
    [
      'an unreadable CA path',
      { address: 'https://c', ca: '/no/such/ca.pem' },
      /option "consul\.ca" is "\/no\/such\/ca\.pem"; it must be a readable PEM file\. .*\(ENOENT\)/,
    ],
    [
      'a cert without key',
      { address: 'https://c', cert: PEM },
      /option "consul\.key" is undefined; it must be given together with consul\.cert/,
    ],
    [
      'a bad logger',
      { logger: {} },
      /option "consul\.logger" is \{\}; it must be an object with a warn\(message\) method/,
    ],
    [
      'an unknown key',
      { adress: 'c:8500' },
      /unknown option "consul\.adress"; did you mean "consul\.address"\? the options of "consul" are: address, .*/,
    ],
    [
      'an unknown key of a TTL check',
      { check: { type: 'ttl', interval: 1_000 } },
      /unknown option "consul\.check\.interval"; the options of "consul\.check" are: type, ttl, heartbeatInterval/,
    ],
    [
      'an unknown key of an HTTP check',
      { check: { type: 'http', url: 'http://a/r', intervall: 1_000 } },
      /unknown option "consul\.check\.intervall"; did you mean "consul\.check\.interval"\?/,
    ],
    ['options that are not an object', 'c:8500', /option "consul" is "c:8500"; it must be an object of Consul options/],
  ])('rejects %s, naming the option, the value and what is allowed', (_label, options, message) => {
    const problems = problemsOf(options);
    expect(problems.join('\n')).toMatch(message);
  });

  it('names the environment variable when CONSUL_HTTP_ADDR is bad', () => {
    expect(problemsOf({}, { CONSUL_HTTP_ADDR: 'unix:///tmp/consul.sock' }).join('\n')).toMatch(
      /variable CONSUL_HTTP_ADDR is "unix:\/\/\/tmp\/consul\.sock"; it must be host:port, .*"unix" is not http/,
    );
  });

  it('lists every problem at once', () => {
    expect(problemsOf({ port: 0, tags: 'x', deregisterCriticalServiceAfter: 1 })).toHaveLength(3);
  });

  it('never shows the token in a validation error', () => {
    const secret = 'sekrit-token-\nwith-newline';
    const problems = problemsOf({ token: secret });
    expect(problems.join('\n')).toMatch(
      /option "consul\.token" is a string; it must be an ACL token \(a string without line breaks\) or left out/,
    );
    expect(problems.join('\n')).not.toContain('sekrit');
    expect(problemsOf({ token: 42 }).join('\n')).toMatch(/option "consul\.token" is a number; it must be an ACL token/);
    expect(problemsOf({}, { CONSUL_HTTP_TOKEN: 'sekrit\nx' }).join('\n')).toMatch(
      /the environment variable CONSUL_HTTP_TOKEN is a string; it must be an ACL token without line breaks/,
    );
  });

  it('never shows a private key given inline, even in a problem about it', () => {
    const key = '-----BEGIN PRIVATE KEY-----\nsekrit\n-----END PRIVATE KEY-----';
    expect(problemsOf({ address: 'http://c:8500', key }).join('\n')).not.toContain('sekrit');
    expect(problemsOf({ address: 'https://c', key: '   ' }).join('\n')).toMatch(
      /option "consul\.key" is a string; it must be a file path/,
    );
  });

  it('freezes its defaults', () => {
    expect(Object.isFrozen(CONSUL_DEFAULTS)).toBe(true);
  });

  it('keeps the token, the TLS key and the client out of util.inspect and JSON.stringify', () => {
    const registrar = new ConsulRegistrar(
      { address: 'https://c:8501', token: 'sekrit-token', key: Buffer.from('sekrit-key'), cert: PEM },
      {},
    );
    for (const shown of [inspect(registrar, { depth: Infinity, showHidden: true }), JSON.stringify(registrar)]) {
      expect(shown).not.toContain('sekrit');
      // The only Buffers it holds are TLS material, which a dump would show as bytes.
      expect(shown).not.toMatch(/<Buffer|"Buffer"/);
    }
    void registrar.close();
  });

  it('the constructor validates too', () => {
    expect(() => new ConsulRegistrar({ port: -1 }, {})).toThrow(ConsulRegistrarOptionsError);
  });
});

describe('consul service definition', () => {
  const options = resolveConsulRegistrarOptions({ tags: ['t'] }, {});

  it('takes Address and Port from the http endpoint and puts every endpoint in Meta by scheme', () => {
    const reg = buildServiceRegistration(
      {
        id: 'a-1',
        name: 'a',
        version: '2.0.0',
        metadata: { zone: 'z1' },
        endpoints: ['grpc://10.0.0.5:5000', 'http://10.0.0.5:3000', 'http://[fd00::5]:3001'],
      },
      options,
    );
    expect(reg).toMatchObject({
      id: 'a-1',
      name: 'a',
      tags: ['t'],
      address: '10.0.0.5',
      port: 3000,
      meta: {
        version: '2.0.0',
        zone: 'z1',
        endpoint_grpc: 'grpc://10.0.0.5:5000',
        endpoint_http: 'http://10.0.0.5:3000',
        endpoint_http_2: 'http://[fd00::5]:3001',
      },
      check: { checkid: 'service:a-1', ttl: '10s', deregistercriticalserviceafter: '60s' },
    });
  });

  it('falls back to the first endpoint, and to no address at all', () => {
    const base = { id: 'b', name: 'b', version: '1', metadata: {} };
    expect(buildServiceRegistration({ ...base, endpoints: ['grpc://h:5000'] }, options)).toMatchObject({
      address: 'h',
      port: 5000,
    });
    const none = buildServiceRegistration({ ...base, endpoints: [] }, options);
    expect(none.address).toBeUndefined();
    expect(none.port).toBeUndefined();
  });

  it('rejects metadata keys Consul would refuse', () => {
    expect(() =>
      buildServiceRegistration(
        { id: 'c', name: 'c', version: '1', metadata: { 'bad key': 'v' }, endpoints: [] },
        options,
      ),
    ).toThrow(/metadata key "bad key" cannot be a Consul Meta key/);
  });
});

describe('consul error translation', () => {
  const ctx = {
    operation: 'registration' as const,
    serviceId: 'a-1',
    serviceName: 'a',
    agent: 'http://127.0.0.1:8500',
    token: 'T0K3N',
  };

  it('scrubs the token from any message it passes on', () => {
    expect(scrub('x T0K3N y T0K3N', 'T0K3N')).toBe('x [redacted] y [redacted]');
    const err = translateClientError(
      Object.assign(new Error('consul: agent.service.register: boom T0K3N'), { statusCode: 500 }),
      ctx,
    );
    expect(err.message).toBe(
      'Consul answered 500 to the registration of "a-1" at http://127.0.0.1:8500: boom [redacted]',
    );
  });

  it('explains a 403 without the token', () => {
    const err = translateClientError(Object.assign(new Error('forbidden'), { statusCode: 403 }), ctx);
    expect(err.message).toBe(
      'the Consul agent at http://127.0.0.1:8500 refused the registration (403 Forbidden): the ACL token lacks ' +
        'service:write on "a" or is invalid; ' +
        'give a token whose policy grants it (option consul.token or CONSUL_HTTP_TOKEN)',
    );
  });
});

describe("consul's gRPC check", () => {
  const instance = {
    id: 'o-1',
    name: 'orders',
    version: '1.0.0',
    metadata: {},
    endpoints: ['http://10.0.0.5:3000', 'grpc://10.0.0.5:5000'],
  };

  it('defaults to the whole server on the grpc:// endpoint, polled like the HTTP check', () => {
    const options = resolveConsulRegistrarOptions({ check: { type: 'grpc' } }, {});
    expect(options.check).toEqual({
      type: 'grpc',
      target: undefined,
      service: '',
      tls: undefined,
      interval: 10_000,
      timeout: 5_000,
      tlsSkipVerify: false,
      syncInterval: 10_000,
    });
    expect(buildServiceRegistration(instance, options).check).toEqual({
      checkid: 'service:o-1',
      name: 'orders readiness',
      grpc: '10.0.0.5:5000',
      grpcusetls: false,
      interval: '10s',
      timeout: '5s',
      tlsskipverify: false,
      deregistercriticalserviceafter: '60s',
    });
  });

  it('checks one service on a given target, over TLS if asked', () => {
    const options = resolveConsulRegistrarOptions(
      { check: { type: 'grpc', target: 'grpc.local:50051', service: 'orders.Orders', tls: true, tlsSkipVerify: true } },
      {},
    );
    expect(buildServiceRegistration(instance, options).check).toMatchObject({
      grpc: 'grpc.local:50051/orders.Orders',
      grpcusetls: true,
      tlsskipverify: true,
    });
  });

  it('uses TLS by default on a grpcs:// endpoint, and keeps IPv6 brackets', () => {
    const options = resolveConsulRegistrarOptions({ check: { type: 'grpc' } }, {});
    expect(buildServiceRegistration({ ...instance, endpoints: ['grpcs://[::1]:5001'] }, options).check).toMatchObject({
      grpc: '[::1]:5001',
      grpcusetls: true,
    });
    const plain = resolveConsulRegistrarOptions({ check: { type: 'grpc', tls: false } }, {});
    expect(buildServiceRegistration({ ...instance, endpoints: ['grpcs://[::1]:5001'] }, plain).check).toMatchObject({
      grpcusetls: false,
    });
  });

  it('names every bad field at once, in the style of the other options', () => {
    expect(
      problemsOf({ check: { type: 'grpc', target: 'grpc://x:1', service: 'a b', tls: 'yes', interval: 10 } }),
    ).toEqual([
      'option "consul.check.interval" is 10; it must be a whole number of milliseconds from 1000 to 2147483647',
      'option "consul.check.target" is "grpc://x:1"; it must be host:port of the gRPC server, such as ' +
        '"10.0.0.5:50051". Leave out the scheme',
      'option "consul.check.service" is "a b"; it must be a gRPC service name such as "orders.Orders", or "" for the ' +
        'whole server',
      'option "consul.check.tls" is "yes"; it must be true or false',
    ]);
  });

  it('suggests the key meant by a misspelt one', () => {
    expect(problemsOf({ check: { type: 'grpc', servce: 'a.B' } })).toEqual([
      'unknown option "consul.check.servce"; did you mean "consul.check.service"? the options of "consul.check" are: ' +
        'type, target, service, tls, interval, timeout, tlsSkipVerify, syncInterval',
    ]);
  });

  it('without a target, needs a grpc:// endpoint and says so', () => {
    const options = resolveConsulRegistrarOptions({ check: { type: 'grpc' } }, {});
    expect(() => buildServiceRegistration({ ...instance, endpoints: ['http://10.0.0.5:3000'] }, options)).toThrow(
      'a gRPC check needs consul.check.target, or a grpc://host:port endpoint (the endpoints option); the instance ' +
        'has ["http://10.0.0.5:3000"]',
    );
  });
});
