import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const CONSUL = 'test/support/consul-agent.global-setup.ts';
// Files that need the brokers: in-process tests, and process-level ones with real signals.
const BROKERS = ['test/integration/broker-*.spec.ts', 'test/process/broker-*.spec.ts'];

// SWC rather than esbuild: Nest's DI by type needs emitDecoratorMetadata.
// Projects by what their files need: a global setup runs only when a file of its project does,
// so `npx vitest run test/unit/x.spec.ts` never builds the Consul agent. Each setup finds or
// builds its servers before any test, with its own limit and progress lines (locate-tool.ts).
// `forks`, not threads: servers die with the process that started them (server-process.ts).
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
        test: {
          name: 'app',
          include: ['test/unit/**/*.spec.ts', 'test/e2e/**/*.spec.ts', 'test/process/**/*.spec.ts'],
          exclude: ['**/node_modules/**', ...BROKERS],
        },
      },
      {
        extends: true,
        test: {
          name: 'consul',
          include: ['test/integration/**/*.spec.ts'],
          exclude: ['**/node_modules/**', ...BROKERS],
          globalSetup: [CONSUL],
        },
      },
      {
        // A Consul cluster (3 servers, a client agent per node) per file: its own project, so it runs only when asked.
        extends: true,
        test: { name: 'consul-cluster', include: ['test/cluster/**/*.spec.ts'], globalSetup: [CONSUL] },
      },
      {
        extends: true,
        test: { name: 'brokers', include: BROKERS, globalSetup: ['test/support/brokers.global-setup.ts'] },
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
