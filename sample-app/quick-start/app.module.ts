// src/app.module.ts
import { Module } from '@nestjs/common';
import { GracefulModule } from '../../src';
import { GracefulHealthModule } from '../../src/health';
import { AppController } from './app.controller.js';
import { AppService } from './app.service.js';
import { HelloController } from './hello.controller.js';

@Module({
  imports: [
    GracefulModule.forRoot(), // every option has a default; see "Options"
    GracefulHealthModule.forRoot(), // GET /health/ready and GET /health/live
  ],
  controllers: [AppController, HelloController],
  providers: [AppService],
})
export class AppModule {}
