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
    // code that says why (7: REFUSED_STREAM, 8: CANCEL) and the stream's error as `cause`: Node 24
    // fails a stream opened on a session that got GOAWAY this way (ERR_HTTP2_GOAWAY_SESSION),
    // where Node 20 and 22 throw from request().
    let failure: Error | undefined;
    stream.on('error', (error: Error) => (failure = error));
    stream.on('close', () =>
      reject(
        Object.assign(new Error(`stream closed with code ${stream.rstCode} and no response`), {
          code: stream.rstCode,
          cause: failure,
        }),
      ),
    );
  });
}

/**
 * Why a stream got no response: ERR_HTTP2_GOAWAY_SESSION when the client itself refused to send
 * it on a session that had GOAWAY (thrown by request() on Node 20 and 22, the stream's error on
 * Node 24), else the stream's reset code.
 */
export function whyRefused(error: { code?: unknown; cause?: { code?: unknown } }): unknown {
  return error.cause?.code === 'ERR_HTTP2_GOAWAY_SESSION' ? error.cause.code : error.code;
}
