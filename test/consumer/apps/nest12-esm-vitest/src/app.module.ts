import { Module } from '@nestjs/common';
import { gracefulFromConfig } from './graceful-from-config.js';
import { ReadinessController } from './readiness.controller.js';
import { SlowController } from './slow.controller.js';

@Module({
  imports: [...gracefulFromConfig],
  controllers: [SlowController, ReadinessController],
})
export class AppModule {}
