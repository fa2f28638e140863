import { formatOptionProblem } from '../../common/option-problem.js';

/** The ACL token from `consul.token`, else `CONSUL_HTTP_TOKEN`; a problem never shows its value. */
export function resolveConsulToken(
  given: unknown,
  env: Readonly<Record<string, string | undefined>>,
  problems: string[],
): string | undefined {
  // A secret: a message says what kind of value it is, never the value.
  if (given !== undefined) {
    if (typeof given === 'string' && given.trim() !== '' && !/[\r\n]/.test(given)) return given.trim();
    problems.push(
      formatOptionProblem({
        option: 'consul.token',
        value: given,
        secret: true,
        allowed: 'an ACL token (a string without line breaks) or left out',
      }),
    );
    return undefined;
  }
  const fromEnv = env.CONSUL_HTTP_TOKEN?.trim();
  if (fromEnv && /[\r\n]/.test(fromEnv)) {
    problems.push(
      formatOptionProblem({
        option: 'CONSUL_HTTP_TOKEN',
        env: true,
        value: fromEnv,
        secret: true,
        allowed: 'an ACL token without line breaks',
      }),
    );
    return undefined;
  }
  return fromEnv || undefined;
}
