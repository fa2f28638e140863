import { Module } from '@nestjs/common';
import { GracefulModule } from 'nestjs-graceful';
import { GracefulHealthModule } from 'nestjs-graceful/health';
import { SlowController } from './slow.controller.js';

@Module({
  imports: [GracefulModule.forRoot({ shutdownDelay: 5_000 }), GracefulHealthModule.forRoot()],
  controllers: [SlowController],
})
export class AppModule {}
