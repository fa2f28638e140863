import { readFileSync } from 'node:fs';
import { formatOptionProblem } from '../../common/option-problem.js';

/** TLS material for an https agent, loaded. */
export interface ConsulTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

const TLS_ITEMS = [
  ['ca', 'CONSUL_CACERT'],
  ['cert', 'CONSUL_CLIENT_CERT'],
  ['key', 'CONSUL_CLIENT_KEY'],
] as const;

const PEM_FORMS = 'a file path, a PEM string or a Buffer';

/**
 * `ca`, `cert` and `key` from the options, else from the CONSUL_* variables (an https agent only, as the consul CLI
 * does).
 */
export function resolveConsulTls(
  o: { ca?: unknown; cert?: unknown; key?: unknown },
  env: Readonly<Record<string, string | undefined>>,
  secure: boolean,
  problems: string[],
): ConsulTls {
  const before = problems.length;
  const tls: ConsulTls = {};
  for (const [item, envName] of TLS_ITEMS) {
    const option = `consul.${item}`;
    const given = o[item];
    // A private key may be given inline: never show it.
    const secret = item === 'key';
    if (given !== undefined) {
      if (!secure) {
        problems.push(
          formatOptionProblem({
            option,
            value: given,
            secret: true,
            allowed: 'left out for a plain-http agent',
            fix: `Use an https:// address (or secure: true), or drop ${option}`,
          }),
        );
        continue;
      }
      const loaded = loadPem(given, problems, { option, secret });
      if (loaded) tls[item] = loaded;
      continue;
    }
    const path = env[envName]?.trim();
    if (path && secure) {
      const loaded = loadPem(path, problems, { option: envName, env: true, pathOnly: true });
      if (loaded) tls[item] = loaded;
    }
  }
  if ((tls.cert === undefined) !== (tls.key === undefined) && problems.length === before) {
    const [given, missing] = tls.cert ? ['cert', 'key'] : ['key', 'cert'];
    problems.push(
      formatOptionProblem({
        option: `consul.${missing}`,
        value: undefined,
        allowed: `given together with consul.${given}`,
        fix:
          'A client certificate needs its key: set consul.cert and consul.key (or CONSUL_CLIENT_CERT and ' +
          'CONSUL_CLIENT_KEY) together',
      }),
    );
  }
  return tls;
}

function loadPem(
  value: unknown,
  problems: string[],
  where: { option: string; env?: boolean; secret?: boolean; pathOnly?: boolean },
): Buffer | undefined {
  const report = (allowed: string, fix?: string) =>
    problems.push(
      formatOptionProblem({ option: where.option, env: where.env, secret: where.secret, value, allowed, fix }),
    );
  if (Buffer.isBuffer(value)) {
    if (value.length > 0) return value;
    report('a Buffer holding PEM data');
    return undefined;
  }
  if (typeof value !== 'string' || value.trim() === '') {
    report(PEM_FORMS);
    return undefined;
  }
  if (!where.pathOnly && value.includes('-----BEGIN')) return Buffer.from(value);
  try {
    return readFileSync(value);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    report('a readable PEM file', `The path cannot be read (${code})`);
    return undefined;
  }
}
