import { describe, expect, it } from 'vitest';
import { resolveConsulDiscoveryOptions } from '../../src/registry/consul/consul-discovery-options';
import { instanceFromHealthEntry, instancesKey } from '../../src/registry/consul/consul-health-entry';

describe('resolveConsulDiscoveryOptions', () => {
  it('defaults: the local agent (or CONSUL_HTTP_ADDR / CONSUL_HTTP_TOKEN), a 60 s wait, no filter', () => {
    const resolved = resolveConsulDiscoveryOptions(
      {},
      { CONSUL_HTTP_ADDR: '127.0.0.1:18500', CONSUL_HTTP_TOKEN: 't0k' },
    );
    expect(resolved).toMatchObject({
      address: { host: '127.0.0.1', port: 18500, secure: false },
      token: 't0k',
      wait: 60_000,
      retryDelay: 500,
      retryMaxDelay: 30_000,
      filter: undefined,
      datacenter: undefined,
    });
  });

  it('tags, metadata and a filter of your own become one Consul filter expression, quoted', () => {
    const { filter } = resolveConsulDiscoveryOptions(
      { tags: ['blue', 'we"ird'], metadata: { version: '2.0.0', 'az-b': 'x\\y' }, filter: 'Service.Port > 1000' },
      {},
    );
    expect(filter).toBe(
      '"blue" in Service.Tags and "we\\"ird" in Service.Tags and Service.Meta["version"] == "2.0.0" and ' +
        'Service.Meta["az-b"] == "x\\\\y" and (Service.Port > 1000)',
    );
  });

  it('lists every bad value at once, never showing the token', () => {
    const run = () =>
      resolveConsulDiscoveryOptions(
        {
          address: 'ftp://x',
          // @ts-expect-error wrong on purpose
          token: 5,
          tags: [''],
          metadata: { 'bad key': 'v' },
          wait: 500,
          retryDelay: 10,
          retryMaxDelay: 5,
          datacenter: 'd c',
        },
        {},
      );
    expect(run).toThrow(
      [
        'nestjs-graceful: invalid consul discovery options:',
        '  - option "consul.address" is "ftp://x"; it must be host:port, http://host:port or https://host:port, such ' +
          'as "127.0.0.1:8500". The scheme "ftp" is not http or https',
        '  - option "consul.token" is a number; it must be an ACL token (a string without line breaks) or left out',
        '  - option "consul.datacenter" is "d c"; it must be a datacenter name such as "dc1"',
        '  - option "consul.tags" is [""]; it must be an array of non-empty strings',
        '  - option "consul.metadata" is {"bad key":"v"}; it must be an object of Meta keys (A-Z a-z 0-9 _ -) to ' +
          'strings. "bad key" is not one, or its value is not a string',
        '  - option "consul.wait" is 500; it must be a whole number of milliseconds from 1000 to 600000',
      ].join('\n'),
    );
  });

  it('an unknown key names the closest known one', () => {
    // @ts-expect-error wrong on purpose
    expect(() => resolveConsulDiscoveryOptions({ tag: ['blue'] }, {})).toThrow(
      'unknown option "consul.tag"; did you mean "consul.tags"?',
    );
  });

  it('retryMaxDelay below retryDelay is refused', () => {
    expect(() => resolveConsulDiscoveryOptions({ retryDelay: 1_000, retryMaxDelay: 10 }, {})).toThrow(
      'option "consul.retryMaxDelay" is 10; it must be at least consul.retryDelay (1000)',
    );
  });
});

describe('instanceFromHealthEntry', () => {
  it("reads the registrar's Meta: version, metadata, and endpoints from endpoint_<scheme>", () => {
    const instance = instanceFromHealthEntry({
      Node: { Address: '10.0.0.9' },
      Service: {
        ID: 'orders-1',
        Service: 'orders',
        Address: '10.0.0.5',
        Port: 3000,
        Meta: {
          version: '1.2.3',
          team: 'pay',
          endpoint_http: 'http://10.0.0.5:3000',
          endpoint_grpc: 'grpc://10.0.0.5:5000',
        },
      },
    });
    expect(instance).toEqual({
      id: 'orders-1',
      name: 'orders',
      version: '1.2.3',
      metadata: { team: 'pay' },
      endpoints: ['http://10.0.0.5:3000', 'grpc://10.0.0.5:5000'],
    });
  });

  it("without endpoint Meta: http://Address:Port, the node's address when the service has none, IPv6 bracketed", () => {
    const noMeta = { ID: 'x', Service: 'orders', Port: 80, Meta: null };
    expect(
      instanceFromHealthEntry({ Node: { Address: '10.0.0.9' }, Service: { ...noMeta, Address: '' } }).endpoints,
    ).toEqual(['http://10.0.0.9:80']);
    expect(instanceFromHealthEntry({ Service: { ...noMeta, Address: '::1' } }).endpoints).toEqual(['http://[::1]:80']);
    expect(instanceFromHealthEntry({ Service: { ...noMeta, Port: 0 } }).endpoints).toEqual([]);
  });

  it('instancesKey ignores the order Consul answers in, not a changed endpoint', () => {
    const a = { id: 'a', name: 's', version: '1', metadata: { x: '1', y: '2' }, endpoints: ['http://h:1'] };
    const b = { ...a, id: 'b', metadata: { y: '2', x: '1' } };
    expect(instancesKey([a, b])).toBe(instancesKey([{ ...b }, { ...a, metadata: { y: '2', x: '1' } }]));
    expect(instancesKey([a, b])).not.toBe(instancesKey([a, { ...b, endpoints: ['http://h:2'] }]));
  });
});
