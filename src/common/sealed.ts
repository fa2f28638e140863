import { inspect } from 'node:util';

/**
 * A secret (an ACL token, a private key) that `util.inspect`, `JSON.stringify` and a log
 * line show as `[redacted]`; only {@link Sealed.open} gives it back.
 */
export class Sealed<T> {
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
  }

  open(): T {
    return this.#value;
  }

  toJSON(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return '[redacted]';
  }

  toString(): string {
    return '[redacted]';
  }
}
