import { describeConsumer } from './consumer-suite';

describeConsumer('nest11-cjs-jest', {
  title: 'Nest 11, CommonJS, Express, Jest',
  runner: 'jest',
  consul: true,
  e2eTests: 5,
});
