import { Controller, Get, Logger, Query } from '@nestjs/common';

/** A request that takes `ms` milliseconds: the kind a stop must not lose. */
@Controller()
export class SlowController {
  private readonly logger = new Logger(SlowController.name);

  @Get('slow')
  async slow(@Query('ms') ms = '100'): Promise<{ waited: number }> {
    this.logger.log(`slow request entered (${ms} ms)`);
    await new Promise((resolve) => setTimeout(resolve, Number(ms)));
    return { waited: Number(ms) };
  }
}
