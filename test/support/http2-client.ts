import type { ClientHttp2Session } from 'node:http2';
import type { Reply } from './http-client';

/** A GET on an open HTTP/2 session; rejects when the stream closes without a response (refused, reset or cut). */
export function h2get(session: ClientHttp2Session, path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':method': 'GET', ':path': path });
    let status = 0;
    let headers: Reply['headers'] = {};
    let body = '';
    stream.setEncoding('utf8');
    stream.on('response', (head) => {
      status = Number(head[':status']);
      headers = head;
    });
    stream.on('data', (chunk: string) => (body += chunk));
    stream.on('end', () => status !== 0 && resolve({ status, body, headers }));
    // A stream reset (or cut with its session) before its response rejects at its 'close', with the
    // code that says why (7: REFUSED_STREAM, 8: CANCEL).
    stream.on('error', () => undefined);
    stream.on('close', () => reject(Object.assign(new Error(`stream closed with code ${stream.rstCode} and no response`), { code: stream.rstCode })));
  });
}
