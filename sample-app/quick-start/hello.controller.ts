// src/hello.controller.ts
import { Controller, Get, Query } from '@nestjs/common';

/** A slow request: press Ctrl-C while it runs, and it still gets its answer. */
@Controller('hello')
export class HelloController {
  @Get()
  async hello(@Query('ms') ms = '3000'): Promise<string> {
    await new Promise((resolve) => setTimeout(resolve, Number(ms)));
    return 'hello\n';
  }
}
