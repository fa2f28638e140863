import { describeConsumer } from './consumer-suite';

describeConsumer('nest12-esm-vitest', {
  title: 'Nest 12, ESM, Fastify, Vitest, without Terminus or consul',
  runner: 'vitest',
  consul: false,
  e2eTests: 3,
});
