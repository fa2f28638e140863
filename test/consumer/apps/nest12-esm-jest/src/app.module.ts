import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { GracefulModule } from 'nestjs-graceful';
import { GracefulHealthModule } from 'nestjs-graceful/health';
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
    GracefulHealthModule.forRoot(),
  ],
  controllers: [SlowController],
})
export class AppModule {}
