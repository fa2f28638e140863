import type { Server } from 'node:http';

/** What is used here of a `ws` WebSocketServer: its options, and (ws' own field) the HTTP server it made for `port`. */
interface WsServerLike {
  options: { port?: number | null; noServer?: boolean; path?: string };
  _server?: unknown;
}

/** A Socket.IO `Server` (`httpServer`, the one it made for a port), or a namespace of one (`server`). */
interface IoServerLike {
  engine?: unknown;
  httpServer?: unknown;
  server?: { httpServer?: unknown };
}

/**
 * Nest's WsAdapter: the HTTP servers it made per port, and the `noServer` ws servers it routes upgrades to, per port.
 */
interface WsAdapterLike {
  httpServersRegistry?: unknown;
  wsServersRegistry?: unknown;
}

/** Where Nest keeps the gateways' servers and their adapter (Nest 11 and 12 alike). */
interface AppWithGateways {
  getHttpServer?(): unknown;
  socketModule?: { socketsContainer?: { getAll?(): Map<unknown, { server?: unknown }> } } | null;
  config?: { getIoAdapter?(): unknown };
}

/** The start-up warning when Nest no longer keeps its gateways' servers where they are looked for. */
const UNLISTED =
  "nestjs-graceful: the app's WebSocket gateways cannot be listed (Nest's internals changed): a gateway on its own " +
  'port ' +
  'keeps its listener open through a stop and its clients are not drained; Nest closes them after onModuleDestroy';

function isHttpServer(value: unknown): value is Server {
  const server = value as Partial<Server> | undefined;
  return (
    typeof server?.listen === 'function' && typeof server.on === 'function' && typeof server.address === 'function'
  );
}

function isWsServer(value: unknown): value is WsServerLike {
  const server = value as { handleUpgrade?: unknown; clients?: unknown; options?: unknown } | undefined;
  return (
    typeof server?.handleUpgrade === 'function' && server.clients instanceof Set && typeof server.options === 'object'
  );
}

/** The start-up warning for a gateway whose own HTTP server cannot be found. */
const notFound = (gateway: string) =>
  `nestjs-graceful: ${gateway}: its HTTP server was not found (Nest's or ws' internals changed), so a stop leaves ` +
  'its listener open and does not drain its clients; Nest closes them after onModuleDestroy';

/** The port of a `noServer` ws server, from the WsAdapter's registry: 0 is the app's own HTTP server. */
function portOf(wsServer: WsServerLike, registry: unknown): number | undefined {
  if (!(registry instanceof Map)) return undefined;
  for (const [port, servers] of registry as Map<unknown, unknown>) {
    if (Array.isArray(servers) && servers.includes(wsServer) && typeof port === 'number') return port;
  }
  return undefined;
}

/**
 * What one gateway server found in the app gives: the HTTP server made for its own port, a warning, or nothing (it
 * shares the app's).
 */
function serverOf(server: unknown, adapter: WsAdapterLike | undefined): Server | string | undefined {
  if (isWsServer(server)) {
    const { port, noServer, path } = server.options;
    if (port != null)
      return isHttpServer(server._server) ? server._server : notFound(`the WebSocket gateway on port ${port}`);
    if (!noServer) return undefined;
    const own = portOf(server, adapter?.wsServersRegistry);
    if (own === undefined) return notFound(`the WebSocket gateway at path ${path ?? '/'} (port unknown)`);
    if (own === 0) return undefined;
    const registry = adapter?.httpServersRegistry;
    const http = registry instanceof Map ? (registry as Map<unknown, unknown>).get(own) : undefined;
    return isHttpServer(http) ? http : notFound(`the WebSocket gateway on port ${own}`);
  }
  const io = server as IoServerLike | undefined;
  if (typeof io?.engine !== 'object') return undefined;
  const http = io.httpServer ?? io.server?.httpServer;
  return isHttpServer(http) ? http : undefined;
}

/**
 * @internal The HTTP servers the app's WebSocket adapter made for gateways on their own port
 * (`@WebSocketGateway(8080)`), so that the drain closes them at phase 5 and drains their
 * clients exactly as the app's own server's: Nest's WsAdapter (a `ws` server made with
 * `port`, or one HTTP server per port for gateways with a `path`) and IoAdapter (Socket.IO's
 * `httpServer`). Each is returned once; a gateway whose server cannot be found, because a
 * Nest, `ws` or library upgrade renamed what is read here, is a sentence naming its port,
 * to be logged at start-up. Called once, at bootstrap: the gateways' servers exist by then.
 */
export function gatewayServers(app: unknown): Array<Server | string> {
  const nest = app as AppWithGateways | undefined;
  const socketModule = nest?.socketModule;
  if (!socketModule) return [];
  const hosts = socketModule.socketsContainer?.getAll?.();
  if (!(hosts instanceof Map)) return [UNLISTED];
  const main = nest?.getHttpServer?.();
  const adapter = nest?.config?.getIoAdapter?.() as WsAdapterLike | undefined;
  // A set: gateways with a path share their port's server.
  const found = new Set<Server | string>();
  for (const { server } of hosts.values()) {
    const own = serverOf(server, adapter);
    if (own !== undefined && own !== main) found.add(own);
  }
  return [...found];
}
