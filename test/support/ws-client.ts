import { WebSocket } from 'ws';

/** A real `ws` client, and what it saw. */
export interface WsClient {
  ws: WebSocket;
  /** Replies (parsed), in arrival order. */
  messages: unknown[];
  /**
   * Every event in arrival order (`message <event>`, `close <code>`), to tell whether a reply came before the close.
   */
  events: string[];
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens a WebSocket to `ws://127.0.0.1:<port><path>`; rejects if the connection is refused. */
export function openWs(port: number, path = '/'): Promise<WsClient> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
  const client: WsClient = {
    ws,
    messages: [],
    events: [],
    closed: new Promise((resolve) =>
      ws.once('close', (code: number, reason: Buffer) => {
        client.events.push(`close ${code}`);
        resolve({ code, reason: reason.toString() });
      }),
    ),
  };
  ws.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString()) as { event: string };
    client.messages.push(message);
    client.events.push(`message ${message.event}`);
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('error', reject);
  });
}

/** Sends `{ event, data }`. */
export function sendWs(client: WsClient, event: string, data: object = {}): void {
  client.ws.send(JSON.stringify({ event, data }));
}
