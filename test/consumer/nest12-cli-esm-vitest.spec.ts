import { describeCliConsumer } from './cli-consumer-suite';

describeCliConsumer('nest12-cli-esm-vitest', {
  title: '`nest new` (ESM, Vitest, Express) with the README applied',
  format: 'esm',
  runner: 'vitest',
});
