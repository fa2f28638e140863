/**
 * How a value is named in an error message: JSON where JSON can show it, words where it
 * cannot (a function, a Buffer, NaN, a BigInt, a circular object). Never throws.
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number') return String(value);
  if (Buffer.isBuffer(value)) return 'a Buffer';
  try {
    return JSON.stringify(value, (_, x: unknown) => (typeof x === 'function' ? '[function]' : x)) ?? String(value);
  } catch {
    return Array.isArray(value) ? 'an array' : `a ${typeof value} that JSON cannot show`;
  }
}

/** What kind of value it is, without showing it: for secrets (tokens, private keys). */
export function describeKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (Buffer.isBuffer(value)) return 'a Buffer';
  return `a ${typeof value}`;
}
