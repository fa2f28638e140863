import { describe, expect, it } from 'vitest';
import { deepFreeze } from '../../src/common/deep-freeze';
import { describeKind, describeValue } from '../../src/common/describe-value';
import { bracketHost, stripBrackets } from '../../src/common/host';
import { formatOptionProblem, formatProblemList, unknownOptionProblem } from '../../src/common/option-problem';

describe('describeValue()', () => {
  it('shows JSON where JSON can, and words where it cannot', () => {
    expect(describeValue({ a: [1, 'x'] })).toBe('{"a":[1,"x"]}');
    expect(describeValue(NaN)).toBe('NaN');
    expect(describeValue(-Infinity)).toBe('-Infinity');
    expect(describeValue(10n)).toBe('10n');
    expect(describeValue(() => 1)).toBe('a function');
    expect(describeValue({ f: () => 1 })).toBe('{"f":"[function]"}');
    expect(describeValue(Buffer.from('secret'))).toBe('a Buffer');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue(Symbol('s'))).toBe('Symbol(s)');
  });

  it('never throws, on a circular object or a BigInt inside one', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(describeValue(circular)).toBe('a object that JSON cannot show');
    expect(describeValue([1n])).toBe('an array');
  });

  it('describeKind names the kind only, for secrets', () => {
    expect(describeKind('sekrit')).toBe('a string');
    expect(describeKind(null)).toBe('null');
    expect(describeKind([])).toBe('an array');
    expect(describeKind(Buffer.from('k'))).toBe('a Buffer');
  });
});

describe('formatOptionProblem()', () => {
  it('names the option, the value, what is allowed and the fix', () => {
    expect(
      formatOptionProblem({ option: 'stopTimeout', value: -1, allowed: 'at least 0', fix: 'Give 0 to skip the drain' }),
    ).toBe('option "stopTimeout" is -1; it must be at least 0. Give 0 to skip the drain');
  });

  it('names where the option is given, or the environment variable it came from', () => {
    expect(
      formatOptionProblem({
        option: 'key',
        where: 'GracefulHealthModule.forRoot()',
        value: '',
        allowed: 'a non-empty string',
      }),
    ).toBe('option "key" of GracefulHealthModule.forRoot() is ""; it must be a non-empty string');
    expect(formatOptionProblem({ option: 'CONSUL_HTTP_ADDR', env: true, value: 'x y', allowed: 'host:port' })).toBe(
      'the environment variable CONSUL_HTTP_ADDR is "x y"; it must be host:port',
    );
  });

  it('shows only the kind of a secret', () => {
    expect(formatOptionProblem({ option: 'consul.token', value: 'sekrit', secret: true, allowed: 'x' })).toBe(
      'option "consul.token" is a string; it must be x',
    );
  });
});

describe('unknownOptionProblem()', () => {
  const known = ['stopTimeout', 'shutdownDelay', 'signals'];

  it('suggests the option within two edits, or one the unknown name begins', () => {
    expect(unknownOptionProblem('stopTimout', known)).toBe(
      'unknown option "stopTimout"; did you mean "stopTimeout"? the options are: stopTimeout, shutdownDelay, signals',
    );
    expect(unknownOptionProblem('ShutDownDelay', known)).toContain('did you mean "shutdownDelay"?');
    expect(unknownOptionProblem('signal', known)).toContain('did you mean "signals"?');
  });

  it('suggests nothing when nothing is close', () => {
    expect(unknownOptionProblem('timeout', known)).toBe(
      'unknown option "timeout"; the options are: stopTimeout, shutdownDelay, signals',
    );
  });

  it('keeps the path of a nested option and names its parent', () => {
    expect(unknownOptionProblem('consul.check.intervall', ['type', 'interval'], 'X')).toBe(
      'unknown option "consul.check.intervall" of X; did you mean "consul.check.interval"? the options of ' +
        '"consul.check" are: type, interval',
    );
  });
});

describe('formatProblemList()', () => {
  it('puts every problem on its own line under the heading', () => {
    expect(formatProblemList('nestjs-graceful: invalid options', ['a', 'b'])).toBe(
      'nestjs-graceful: invalid options:\n  - a\n  - b',
    );
  });
});

describe('stripBrackets() and bracketHost()', () => {
  it.each([
    ['[::1]', '::1', '[::1]'],
    ['::1', '::1', '[::1]'],
    ['[fd00::5]', 'fd00::5', '[fd00::5]'],
    ['10.0.0.5', '10.0.0.5', '10.0.0.5'],
    ['api.internal', 'api.internal', 'api.internal'],
  ])('%s → bare %s, in a URL %s', (host, bare, bracketed) => {
    expect(stripBrackets(host)).toBe(bare);
    expect(bracketHost(host)).toBe(bracketed);
  });
});

describe('deepFreeze()', () => {
  it('freezes nested objects and arrays and returns the same object', () => {
    const value = { list: [{ x: 1 }], inner: { y: 2 } };
    const frozen = deepFreeze(value);
    expect(frozen).toBe(value);
    expect(Object.isFrozen(value.list)).toBe(true);
    expect(Object.isFrozen(value.list[0])).toBe(true);
    expect(Object.isFrozen(value.inner)).toBe(true);
    expect(() => {
      (value.inner as { y: number }).y = 3;
    }).toThrow(TypeError);
  });
});
