/** What the tracking benchmark compares, on each platform. */
export const VARIANTS = ['bare', 'graceful', 'global-interceptor'] as const;
export type Variant = (typeof VARIANTS)[number];

export const PLATFORMS = ['express', 'fastify'] as const;
export type BenchPlatform = (typeof PLATFORMS)[number];
