import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { findAppPackage } from '../../src/app-info/app-package';
import { buildAppInfo, detectHost, endpointFor } from '../../src/app-info/build-app-info';
import { dnsSafeName, serviceIdentity } from '../../src/app-info/service-identity';
import type { Registrar } from '../../src/registry/registrar.interface';
import { validateOptions } from '../../src/validate-options';

const quiet = { log: vi.fn(), warn: vi.fn() };

const v4 = (address: string, port = 3000): AddressInfo => ({ address, port, family: 'IPv4' });
const v6 = (address: string, port = 3000): AddressInfo => ({ address, port, family: 'IPv6' });

describe('endpointFor()', () => {
  it.each(['0.0.0.0', '::', '::0', ''])('asks the detector for the wildcard address %j', (address) => {
    const detect = vi.fn(() => '10.1.2.3');
    expect(
      endpointFor('http', { ...v4(address), family: address.includes(':') ? 'IPv6' : 'IPv4' }, undefined, detect),
    ).toEqual({
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
  const pkg = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as {
    name: string;
    version: string;
  };
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  it('makes an id of host, pid and a random hex suffix, unique per call', () => {
    const a = buildAppInfo(validateOptions({}), quiet);
    const b = buildAppInfo(validateOptions({}), quiet);
    expect(a.id).toMatch(new RegExp(`^${escape(hostname())}-${process.pid}-[0-9a-f]{6}$`));
    expect(b.id).toMatch(new RegExp(`^${escape(hostname())}-${process.pid}-[0-9a-f]{6}$`));
    expect(a.id).not.toBe(b.id);
  });

  it('takes name and version from package.json by default', () => {
    const info = buildAppInfo(validateOptions({}), quiet);
    expect(info.name).toBe(pkg.name);
    expect(info.version).toBe(pkg.version);
    expect(info.metadata).toEqual({});
    expect(info.endpoints).toEqual([]);
  });

  it('takes id, name, version, metadata and endpoints from the options, as copies', () => {
    const metadata = { zone: 'eu-1' };
    const endpoints = ['http://10.0.0.5:3000'];
    const info = buildAppInfo(
      validateOptions({ id: 'orders-7', name: 'orders', version: '2.3.4', metadata, endpoints }),
      quiet,
    );
    expect(info).toEqual({ id: 'orders-7', name: 'orders', version: '2.3.4', metadata, endpoints });
    expect(info.metadata).not.toBe(metadata);
    expect(info.endpoints).not.toBe(endpoints);
  });

  it('mixes a given name with the package.json version', () => {
    const info = buildAppInfo(validateOptions({ name: 'orders' }), quiet);
    expect(info.name).toBe('orders');
    expect(info.version).toBe(pkg.version);
  });
});

/** A directory tree of package.json files (path → content; a string is written as is). */
function tree(files: Record<string, unknown>): string {
  const root = mkdtempSync(join(tmpdir(), 'app-pkg-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return root;
}

describe('findAppPackage()', () => {
  it('reads the package.json above the entry script, not the one of the current directory', () => {
    const root = tree({
      'app/package.json': { name: 'orders', version: '1.2.3' },
      'elsewhere/package.json': { name: 'wrong' },
    });
    expect(findAppPackage(join(root, 'app/dist/main.js'), join(root, 'elsewhere'))).toEqual({
      path: join(root, 'app/package.json'),
      name: 'orders',
      version: '1.2.3',
    });
  });

  it('passes over a package.json with neither name nor version, such as a {"type":"module"} marker in dist/', () => {
    const root = tree({
      'app/package.json': { name: 'orders', version: '1.0.0' },
      'app/dist/package.json': { type: 'module' },
    });
    expect(findAppPackage(join(root, 'app/dist/main.js'), root).path).toBe(join(root, 'app/package.json'));
  });

  it('takes the current directory when the entry script is inside node_modules (a test runner) or absent', () => {
    const root = tree({
      'app/package.json': { name: 'orders' },
      'app/node_modules/vitest/package.json': { name: 'vitest' },
    });
    expect(findAppPackage(join(root, 'app/node_modules/vitest/vitest.mjs'), join(root, 'app')).name).toBe('orders');
    expect(findAppPackage(undefined, join(root, 'app')).name).toBe('orders');
  });

  it(
    'returns the file without name and version when they are missing, blank or not strings, and nothing for ' +
      'unreadable JSON',
    () => {
      const root = tree({ 'a/package.json': { name: ' ', version: 3, private: true }, 'b/package.json': '{ not json' });
      expect(findAppPackage(undefined, join(root, 'a'))).toEqual({ path: join(root, 'a/package.json') });
      expect(findAppPackage(undefined, join(root, 'b'))).toEqual({});
    },
  );
});

describe('dnsSafeName()', () => {
  it.each([
    ['@acme/orders-api', 'acme-orders-api'],
    ['orders_api', 'orders-api'],
    ['Orders.API', 'orders-api'],
    ['orders', 'orders'],
    ['--x--', 'x'],
    ['@/', 'nest-app'],
    ['a'.repeat(70), 'a'.repeat(63)],
    [`${'a'.repeat(62)}-b`, 'a'.repeat(62)],
  ])('%s → %s', (name, safe) => {
    expect(dnsSafeName(name)).toBe(safe);
  });
});

describe('serviceIdentity()', () => {
  const pkg = { path: '/srv/app/package.json', name: 'orders', version: '1.2.3' };

  it('prefers the options, and says nothing about them when they are DNS-safe', () => {
    expect(serviceIdentity({ name: 'billing', version: '9.0.0', hasRegistry: true }, pkg)).toEqual({
      name: 'billing',
      version: '9.0.0',
      notes: [],
    });
  });

  it('takes package.json and says which file', () => {
    expect(serviceIdentity({ hasRegistry: false }, pkg)).toEqual({
      name: 'orders',
      version: '1.2.3',
      notes: [{ level: 'log', message: 'service "orders" version "1.2.3", from package.json (/srv/app/package.json)' }],
    });
  });

  it('makes a scoped package name DNS-safe and logs that it did', () => {
    const { name, notes } = serviceIdentity({ hasRegistry: true }, { ...pkg, name: '@acme/orders-api' });
    expect(name).toBe('acme-orders-api');
    expect(notes).toEqual([
      {
        level: 'log',
        message:
          'service name "acme-orders-api", made DNS-safe from "@acme/orders-api" in package.json ' +
          '(/srv/app/package.json): DNS names allow only letters, digits and dashes. Set the "name" option to choose ' +
          'another.',
      },
    ]);
  });

  it('keeps a DNS-unsafe name the options give, and warns when a registry will use it', () => {
    expect(serviceIdentity({ name: 'orders_api', version: '1', hasRegistry: true }, {}).notes).toEqual([
      {
        level: 'warn',
        message:
          'the service name "orders_api" is not a DNS label: Consul\'s DNS interface cannot resolve it. Use letters, ' +
          'digits and dashes, such as "orders-api".',
      },
    ]);
    expect(serviceIdentity({ name: 'orders_api', version: '1', hasRegistry: false }, {}).notes).toEqual([]);
  });

  it('warns, naming the file, when package.json has no name', () => {
    const { name, version, notes } = serviceIdentity(
      { hasRegistry: true },
      { path: '/srv/app/package.json', version: '2.0.0' },
    );
    expect({ name, version }).toEqual({ name: 'nest-app', version: '2.0.0' });
    expect(notes).toEqual([
      {
        level: 'warn',
        message:
          'package.json (/srv/app/package.json) gives no name: running as "nest-app" version "2.0.0". Set the "name" ' +
          "option, or add name to the app's package.json.",
      },
    ]);
  });

  it('warns when there is no package.json at all', () => {
    const { name, version, notes } = serviceIdentity({ hasRegistry: false }, {});
    expect({ name, version }).toEqual({ name: 'nest-app', version: '0.0.0' });
    expect(notes[0].level).toBe('warn');
    expect(notes[0].message).toContain(
      'no package.json (none above the entry script nor in the current directory) gives no name and no version',
    );
    expect(notes[0].message).toContain('Set the "name" and "version" options');
  });
});

describe('buildAppInfo() logging', () => {
  it('logs the notes at their level and reads no package.json when the options name the service', () => {
    const logger = { log: vi.fn(), warn: vi.fn() };
    const registrar: Registrar = { register: async () => undefined, deregister: async () => undefined };
    const find = vi.fn(() => ({ path: '/p/package.json', name: '@acme/x' }));
    const info = buildAppInfo(validateOptions({ registrar }), logger, find);
    expect(info).toMatchObject({ name: 'acme-x', version: '0.0.0' });
    expect(logger.log).toHaveBeenCalledWith(expect.stringContaining('made DNS-safe from "@acme/x"'));
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('gives no version'));
    find.mockClear();
    buildAppInfo(validateOptions({ name: 'a', version: '1' }), logger, find);
    expect(find).not.toHaveBeenCalled();
  });
});
