import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { GracefulLifecycle } from 'nestjs-graceful';

/** Readiness without @nestjs/terminus: 200 only while the lifecycle is `ready`. */
@Controller('health')
export class ReadinessController {
  constructor(private readonly lifecycle: GracefulLifecycle) {}

  @Get('ready')
  ready(): { state: string } {
    const { state } = this.lifecycle;
    if (state !== 'ready') throw new ServiceUnavailableException({ state });
    return { state };
  }
}
