import { Module } from '@nestjs/common';
import { GracefulHealthModule } from 'nestjs-graceful/health';
import { gracefulFromConfig } from './graceful-from-config.js';
import { SlowController } from './slow.controller.js';

@Module({
  imports: [...gracefulFromConfig, GracefulHealthModule.forRoot()],
  controllers: [SlowController],
})
export class AppModule {}
