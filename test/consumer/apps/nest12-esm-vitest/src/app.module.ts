import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { GracefulModule } from 'nestjs-graceful';
import { ReadinessController } from './readiness.controller.js';
import { SlowController } from './slow.controller.js';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true }),
    GracefulModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        shutdownDelay: Number(config.get('SHUTDOWN_DELAY_MS', '5000')),
        stopTimeout: Number(config.get('STOP_TIMEOUT_MS', '10000')),
      }),
    }),
  ],
  controllers: [SlowController, ReadinessController],
})
export class AppModule {}
