// Just the client surface the e2e tests use: `ws` ships no types and @types/ws is not installed.
declare module 'ws' {
  import { EventEmitter } from 'node:events';
  export class WebSocket extends EventEmitter {
    constructor(address: string);
    static readonly CLOSING: 2;
    readonly readyState: number;
    send(data: string): void;
    close(code?: number, reason?: string): void;
    terminate(): void;
    /** Stops reading: frames that arrive stay unread until resume(). */
    pause(): void;
    resume(): void;
  }
}
