import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GracefulModule, GracefulOptionsError } from '../../src';

/**
 * What a user sees when an option is wrong: Nest's ExceptionHandler prints the bootstrap error
 * with its logger (util.inspect). Each problem must appear once, and the error stays thrown.
 */
describe('a GracefulOptionsError at bootstrap', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it(
    'is printed once by Nest (the problems are not repeated ' + 'after the stack) and still thrown with its problems',
    async () => {
      @Module({ imports: [GracefulModule.forRoot({ shutdownDelay: 'x' as never, stopTimout: 5 } as never)] })
      class AppModule {}
      const written: string[] = [];
      const capture = (chunk: unknown) => (written.push(String(chunk)), true);
      vi.spyOn(process.stdout, 'write').mockImplementation(capture);
      vi.spyOn(process.stderr, 'write').mockImplementation(capture);
      const error = (await NestFactory.create(AppModule, { abortOnError: false }).catch(
        (e: unknown) => e,
      )) as GracefulOptionsError;
      vi.restoreAllMocks();

      expect(error).toBeInstanceOf(GracefulOptionsError);
      expect(error.problems).toHaveLength(2);
      const output = written.join('');
      expect(output).toContain('ERROR');
      for (const problem of error.problems) expect(output.split(problem).length - 1).toBe(1);
    },
  );
});
