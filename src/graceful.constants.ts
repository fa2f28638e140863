/** Injection token of the validated options ({@link ResolvedGracefulOptions}). */
export const GRACEFUL_OPTIONS = Symbol('nest-graceful:OPTIONS');
