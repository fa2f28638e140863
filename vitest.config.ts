import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const CONSUL = 'test/support/consul-agent.global-setup.ts';

// SWC rather than esbuild: Nest's DI by type needs emitDecoratorMetadata.
// Projects by what their files need, so each global setup runs only when one of its files does:
// `npx vitest run test/unit/x.spec.ts` never builds the Consul agent.
export default defineConfig({
  plugins: [swc.vite({ module: { type: 'es6' } })],
  test: {
    exclude: ['**/node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: { name: 'app', include: ['test/unit/**/*.spec.ts', 'test/e2e/**/*.spec.ts', 'test/process/**/*.spec.ts'] },
      },
      {
        extends: true,
        test: { name: 'consul', include: ['test/integration/**/*.spec.ts'], globalSetup: [CONSUL] },
      },
      {
        // Apps generated from test/consumer/apps install the packed tarball: npm ci takes minutes on a cold cache.
        extends: true,
        test: {
          name: 'consumer',
          include: ['test/consumer/**/*.spec.ts'],
          globalSetup: [CONSUL, 'test/consumer/pack.global-setup.ts'],
          hookTimeout: 15 * 60_000,
          testTimeout: 5 * 60_000,
        },
      },
    ],
  },
});
