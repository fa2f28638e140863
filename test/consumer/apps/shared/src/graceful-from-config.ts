import { ConfigModule, ConfigService } from '@nestjs/config';
import { GracefulModule } from 'nestjs-graceful';

/** GracefulModule.forRootAsync() with its durations from @nestjs/config (environment variables). */
export const gracefulFromConfig = [
  ConfigModule.forRoot({ isGlobal: true }),
  GracefulModule.forRootAsync({
    inject: [ConfigService],
    useFactory: (config: ConfigService) => ({
      shutdownDelay: Number(config.get('SHUTDOWN_DELAY_MS', '5000')),
      stopTimeout: Number(config.get('STOP_TIMEOUT_MS', '10000')),
    }),
  }),
];
