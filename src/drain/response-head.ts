import type { ServerResponse } from 'node:http';

/**
 * @internal A header of `res` as it is sent or will be ('' if none). Node keeps no copy of a
 * head given whole to `writeHead()` on a response with no header set before (Nest's
 * SseStream on Fastify's raw response): only its text, `_header`, has it then.
 */
export function headerOf(res: ServerResponse, name: string): string {
  const value = res.getHeader(name);
  if (value !== undefined) return String(value);
  const head = (res as { _header?: string | null })._header;
  return (head && new RegExp(`^${name}:[ \\t]*(.*?)\\r?$`, 'im').exec(head)?.[1]) || '';
}
