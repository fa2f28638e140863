import { readFileSync } from 'node:fs';

/** The version of the `@nestjs/core` this process loads (Nest 11 in the copy under test/nest11/build). */
export function nestVersion(): string {
  return (JSON.parse(readFileSync(require.resolve('@nestjs/core/package.json'), 'utf8')) as { version: string })
    .version;
}
