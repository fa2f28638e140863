import type { AppPackage } from './app-package.js';

/** A line for the start log about where the name and version came from. */
export interface IdentityNote {
  level: 'log' | 'warn';
  message: string;
}

const FALLBACK_NAME = 'nest-app';
const FALLBACK_VERSION = '0.0.0';
/** A DNS label: what Consul's DNS interface (and Kubernetes) can resolve. */
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/** `@acme/orders-api` → `acme-orders-api`: lower case, letters, digits and dashes, at most 63 characters. */
export function dnsSafeName(name: string): string {
  const label = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '');
  return label === '' ? FALLBACK_NAME : label;
}

/**
 * The service's name and version: the options, else the app's package.json (its name made
 * DNS-safe), else `nest-app` / `0.0.0`. Says what it did, so nothing is registered under a
 * name nobody chose without a warning.
 */
export function serviceIdentity(
  options: { name?: string; version?: string; hasRegistry: boolean },
  pkg: AppPackage,
): { name: string; version: string; notes: IdentityNote[] } {
  const notes: IdentityNote[] = [];
  const file = pkg.path
    ? `package.json (${pkg.path})`
    : 'no package.json (none above the entry script nor in the current directory)';
  let name = options.name;
  if (name !== undefined) {
    if (options.hasRegistry && !DNS_LABEL.test(name)) {
      notes.push({
        level: 'warn',
        message:
          `the service name "${name}" is not a DNS label: Consul's DNS interface cannot resolve it. Use ` +
          `letters, digits and dashes, such as "${dnsSafeName(name)}".`,
      });
    }
  } else if (pkg.name !== undefined) {
    name = dnsSafeName(pkg.name);
    if (name !== pkg.name) {
      notes.push({
        level: 'log',
        message:
          `service name "${name}", made DNS-safe from "${pkg.name}" in ${file}: DNS names allow only letters, ` +
          `digits and dashes. Set the "name" option to choose another.`,
      });
    }
  }
  let version = options.version ?? pkg.version;
  const missing = [name === undefined && 'name', version === undefined && 'version'].filter(Boolean);
  if (missing.length > 0) {
    name ??= FALLBACK_NAME;
    version ??= FALLBACK_VERSION;
    notes.push({
      level: 'warn',
      message:
        `${file} gives no ${missing.join(' and no ')}: running as "${name}" version "${version}". Set the ` +
        `${missing.map((m) => `"${m}"`).join(' and ')} option${missing.length > 1 ? 's' : ''}, or add ` +
        `${missing.join(' and ')} to the app's package.json.`,
    });
  } else if (notes.length === 0 && pkg.path && (options.name === undefined || options.version === undefined)) {
    notes.push({ level: 'log', message: `service "${name}" version "${version}", from ${file}` });
  }
  return { name: name!, version: version!, notes };
}
