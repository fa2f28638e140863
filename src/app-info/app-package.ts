import { readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';

/** What the app's package.json says about the service, and where it was read. */
export interface AppPackage {
  /** The file read, if any. */
  path?: string;
  name?: string;
  version?: string;
}

/**
 * The app's package.json: the nearest one above the entry script (`process.argv[1]`) that
 * has a name or a version, so `node dist/main.js` started from any directory finds it and a
 * `{"type":"module"}` marker in `dist/` is passed over. When the entry script lies inside
 * `node_modules` (a test runner, a process manager's launcher) or there is none (a REPL),
 * the package.json of the current directory.
 */
export function findAppPackage(entry: string | undefined = process.argv[1], cwd: string = process.cwd()): AppPackage {
  if (entry && !entry.split(sep).includes('node_modules')) {
    for (let dir = dirname(entry); ; dir = dirname(dir)) {
      const found = readPackage(join(dir, 'package.json'));
      if (found && (found.name !== undefined || found.version !== undefined)) return found;
      if (dirname(dir) === dir) break;
    }
  }
  return readPackage(join(cwd, 'package.json')) ?? {};
}

function readPackage(path: string): AppPackage | undefined {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
  const { name, version } = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  return {
    path,
    ...(typeof name === 'string' && name.trim() !== '' && { name: name.trim() }),
    ...(typeof version === 'string' && version.trim() !== '' && { version: version.trim() }),
  };
}
