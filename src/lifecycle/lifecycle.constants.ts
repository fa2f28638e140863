/** Injection token of the validated options ({@link ResolvedGracefulOptions}). */
export const GRACEFUL_OPTIONS = Symbol('nestjs-graceful:OPTIONS');
