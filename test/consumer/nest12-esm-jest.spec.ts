import { describeConsumer } from './consumer-suite';

describeConsumer('nest12-esm-jest', {
  title: 'Nest 12, ESM, Fastify, Jest',
  runner: 'jest',
  consul: true,
  e2eTests: 5,
});
