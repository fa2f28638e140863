// main.ts
import { Controller, Get, Module, Query } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { GracefulModule, enableGracefulShutdown } from '../../src';
import { GracefulHealthModule } from '../../src/health';

@Controller()
class HelloController {
  /** A slow request: press Ctrl-C while it runs, and it still gets its answer. */
  @Get('hello')
  async hello(@Query('ms') ms = '3000'): Promise<string> {
    await new Promise((resolve) => setTimeout(resolve, Number(ms)));
    return 'hello\n';
  }
}

@Module({
  imports: [
    GracefulModule.forRoot(), // every option has a default; see "Options"
    GracefulHealthModule.forRoot(), // GET /health/ready and GET /health/live
  ],
  controllers: [HelloController],
})
class AppModule {}

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter());
  enableGracefulShutdown(app); // instead of app.enableShutdownHooks()
  await app.listen(process.env.PORT ?? 3000, '0.0.0.0');
}
void bootstrap();
