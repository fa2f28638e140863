import { Agent, request } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * A GET over a given agent (keep-alive or not); rejects on any transport error. `tls`: over
 * HTTPS, trusting the test's self-signed certificate (127.0.0.1 only).
 */
export function get(port: number, path: string, agent: Agent | false = false, { tls = false } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const send = tls ? httpsRequest : request;
    const req = send({ host: '127.0.0.1', port, path, agent, rejectUnauthorized: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export async function waitFor(condition: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
