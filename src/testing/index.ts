export {
  GRACEFUL_TESTING_OPTIONS,
  type GracefulTestingFactory,
  gracefulTestingFactory,
  gracefulTestingOptions,
} from './graceful-testing.js';
