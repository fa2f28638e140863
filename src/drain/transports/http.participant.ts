import type { Server } from 'node:http';
import { HttpConnections } from '../http-connections.js';
import type { HttpTracker } from '../http-tracker.interface.js';
import { Http2Sessions, isHttp2Server } from '../http2-sessions.js';
import type { DrainContext, DrainParticipant, TransportDrain } from './drain-participant.interface.js';

/**
 * @internal The app's HTTP server (or another HTTP server of the app's, `name`d): its connections and requests are in
 * the ledger from bootstrap
 * (HTTP/2 sessions and streams too). Phase 5: the listener closes, each connection closes
 * once its request is answered, HTTP/2 sessions get GOAWAY (docs/drain.md). Disconnect:
 * the connections left, none with a request in flight, are destroyed.
 */
export class HttpParticipant implements DrainParticipant {
  /** Its connections, then (HTTP/2) its sessions: the listener closes before the GOAWAYs. */
  private readonly trackers: HttpTracker[];

  constructor(
    server: Server,
    context: DrainContext,
    readonly name = 'HTTP server',
  ) {
    this.trackers = [new HttpConnections(server, context.ledger)];
    if (isHttp2Server(server)) this.trackers.push(new Http2Sessions(server, context.ledger));
  }

  /** In order, each once the one before is done: the listener is closed before the GOAWAYs. */
  async stopAccepting(): Promise<void> {
    for (const tracker of this.trackers) await tracker.closeListener();
  }

  closeRemaining(): void {
    for (const tracker of this.trackers) tracker.destroyAll();
  }

  detach(): void {
    for (const tracker of this.trackers) tracker.detach();
  }
}

/** @internal */
export const httpDrain: TransportDrain = {
  transport: 'HTTP',
  detect: (context) => (context.httpServer ? [new HttpParticipant(context.httpServer, context)] : []),
};
