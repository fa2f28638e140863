import { describeCliConsumer } from './cli-consumer-suite';

// @nestjs/testing 12 is ESM only, and Jest loads it from CommonJS only on Node 24.9+ (require(esm) in its sandbox).
describeCliConsumer('nest12-cli-cjs-jest', {
  title: '`nest new --type cjs` (CommonJS, Jest, Express) with the README applied',
  format: 'cjs',
  runner: 'jest',
  testNode: 24,
  failsOn: {
    node: 22,
    output: [/Must use import to load ES Module: .*@nestjs\/testing/, /Use Node v24\.9\+/],
  },
});
