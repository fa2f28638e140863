import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { buildAppInfo, detectHost, endpointFor } from '../../src/app-info/build-app-info';
import { validateOptions } from '../../src/validate-options';

const v4 = (address: string, port = 3000): AddressInfo => ({ address, port, family: 'IPv4' });
const v6 = (address: string, port = 3000): AddressInfo => ({ address, port, family: 'IPv6' });

describe('endpointFor()', () => {
  it.each(['0.0.0.0', '::', '::0', ''])('asks the detector for the wildcard address %j', (address) => {
    const detect = vi.fn(() => '10.1.2.3');
    expect(endpointFor('http', { ...v4(address), family: address.includes(':') ? 'IPv6' : 'IPv4' }, undefined, detect)).toEqual({
      url: 'http://10.1.2.3:3000',
      warning: undefined,
    });
    expect(detect).toHaveBeenCalledTimes(1);
  });

  it('keeps an explicit listening address without detecting', () => {
    const detect = vi.fn(() => '10.1.2.3');
    expect(endpointFor('http', v4('192.168.0.7', 8080), undefined, detect).url).toBe('http://192.168.0.7:8080');
    expect(endpointFor('grpc', v4('127.0.0.1', 5000), undefined, detect).url).toBe('grpc://127.0.0.1:5000');
    expect(detect).not.toHaveBeenCalled();
  });

  it('advertiseHost wins over the listening address and the detector', () => {
    const detect = vi.fn(() => '10.1.2.3');
    expect(endpointFor('http', v4('0.0.0.0'), 'api.internal', detect).url).toBe('http://api.internal:3000');
    expect(endpointFor('http', v4('192.168.0.7'), '10.9.9.9', detect).url).toBe('http://10.9.9.9:3000');
    expect(detect).not.toHaveBeenCalled();
  });

  it('brackets IPv6 hosts, detected, explicit or advertised', () => {
    expect(endpointFor('http', v6('::'), undefined, () => '2001:db8::5').url).toBe('http://[2001:db8::5]:3000');
    expect(endpointFor('http', v6('::1', 4000), undefined).url).toBe('http://[::1]:4000');
    expect(endpointFor('http', v4('0.0.0.0'), 'fd00::7').url).toBe('http://[fd00::7]:3000');
    expect(URL.canParse(endpointFor('http', v6('::1'), undefined).url)).toBe(true);
    expect(endpointFor('http', v4('0.0.0.0'), '[fd00::5]').url).toBe('http://[fd00::5]:3000');
  });

  it('falls back to 127.0.0.1 with a warning when no interface is found', () => {
    const { url, warning } = endpointFor('http', v4('0.0.0.0', 3000), undefined, () => undefined);
    expect(url).toBe('http://127.0.0.1:3000');
    expect(warning).toContain('no non-internal network interface found; advertising 127.0.0.1');
    expect(warning).toContain('"advertiseHost"');
  });

  it('never advertises a wildcard', () => {
    for (const address of ['0.0.0.0', '::']) {
      expect(endpointFor('http', v4(address), undefined, () => undefined).url).not.toMatch(/0\.0\.0\.0|\[::\]/);
    }
  });
});

describe('detectHost()', () => {
  it('returns a non-internal, non-link-local address or nothing', () => {
    const host = detectHost();
    if (host !== undefined) {
      expect(host).not.toBe('127.0.0.1');
      expect(host).not.toBe('::1');
      expect(host.startsWith('fe80')).toBe(false);
    }
  });
});

describe('buildAppInfo()', () => {
  const pkg = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as { name: string; version: string };
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  it('makes an id of host, pid and a random hex suffix, unique per call', () => {
    const a = buildAppInfo(validateOptions({}));
    const b = buildAppInfo(validateOptions({}));
    expect(a.id).toMatch(new RegExp(`^${escape(hostname())}-${process.pid}-[0-9a-f]{6}$`));
    expect(b.id).toMatch(new RegExp(`^${escape(hostname())}-${process.pid}-[0-9a-f]{6}$`));
    expect(a.id).not.toBe(b.id);
  });

  it('takes name and version from package.json by default', () => {
    const info = buildAppInfo(validateOptions({}));
    expect(info.name).toBe(pkg.name);
    expect(info.version).toBe(pkg.version);
    expect(info.metadata).toEqual({});
    expect(info.endpoints).toEqual([]);
  });

  it('takes id, name, version, metadata and endpoints from the options, as copies', () => {
    const metadata = { zone: 'eu-1' };
    const endpoints = ['http://10.0.0.5:3000'];
    const info = buildAppInfo(validateOptions({ id: 'orders-7', name: 'orders', version: '2.3.4', metadata, endpoints }));
    expect(info).toEqual({ id: 'orders-7', name: 'orders', version: '2.3.4', metadata, endpoints });
    expect(info.metadata).not.toBe(metadata);
    expect(info.endpoints).not.toBe(endpoints);
  });

  it('mixes a given name with the package.json version', () => {
    const info = buildAppInfo(validateOptions({ name: 'orders' }));
    expect(info.name).toBe('orders');
    expect(info.version).toBe(pkg.version);
  });
});
