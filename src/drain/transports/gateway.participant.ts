import { gatewayServers } from './gateway-servers.js';
import type { TransportDrain } from './drain-participant.interface.js';
import { HttpParticipant } from './http.participant.js';

/**
 * @internal WebSocket gateways on their own port (`@WebSocketGateway(8080)`): each HTTP server
 * the adapter made for one is drained exactly as the app's own (see gateway-servers.ts).
 */
export const gatewayDrain: TransportDrain = {
  transport: 'WebSocket gateways on their own port',
  detect: (context) =>
    gatewayServers(context.app).map((found) =>
      typeof found === 'string' ? found : new HttpParticipant(found, context, 'WebSocket gateway server'),
    ),
};
