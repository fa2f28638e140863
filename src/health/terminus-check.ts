/**
 * Evaluated first by the nestjs-graceful/health entry, so that a missing `@nestjs/terminus`
 * says what to install, as the `consul` option does for `consul`. Only where `require`
 * exists (the CommonJS copy): Node links an ES module's static imports before it runs any
 * of them, so the ESM copy fails with Node's own `Cannot find package '@nestjs/terminus'`.
 */
/** @internal */
export function assertTerminusInstalled(resolve: (id: string) => string): void {
  try {
    resolve('@nestjs/terminus');
  } catch (error) {
    const { code } = (error ?? {}) as { code?: unknown };
    if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new Error(
      'nestjs-graceful/health needs `@nestjs/terminus`, an optional peer dependency that is not installed: ' +
        'run `npm install @nestjs/terminus`',
      { cause: error },
    );
  }
}

if (typeof require === 'function') assertTerminusInstalled(require.resolve);
