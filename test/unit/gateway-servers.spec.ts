import { createServer, type Server } from 'node:http';
import { describe, expect, it } from 'vitest';
import { gatewayServers } from '../../src/drain/transports/gateway-servers';

/** A `ws` WebSocketServer as far as it is read: made with `port` (and its `_server`), or `noServer`. */
function wsServer(options: { port?: number; noServer?: boolean; path?: string }, own?: Server) {
  return { handleUpgrade: () => undefined, clients: new Set(), options, _server: own };
}

/** A Nest app as far as it is read: its HTTP server, its gateways' servers, its WsAdapter's registries. */
function appWith(servers: unknown[], { main = createServer(), adapter = {} as object } = {}) {
  const hosts = new Map(servers.map((server, i) => [`host${i}`, { server }]));
  return {
    getHttpServer: () => main,
    socketModule: { socketsContainer: { getAll: () => hosts } },
    config: { getIoAdapter: () => adapter },
  };
}

describe('gatewayServers', () => {
  it(
    "finds the HTTP server ws made for a gateway's own port, " + "and the WsAdapter's for a port with paths, once each",
    () => {
      const own = createServer();
      const forPaths = createServer();
      const [a, b] = [wsServer({ noServer: true, path: '/a' }), wsServer({ noServer: true, path: '/b' })];
      const onMain = wsServer({ noServer: true, path: '/' });
      const adapter = {
        httpServersRegistry: new Map<number, Server>([
          [0, createServer()],
          [9002, forPaths],
        ]),
        wsServersRegistry: new Map([
          [0, [onMain]],
          [9002, [a, b]],
        ]),
      };
      const app = appWith([wsServer({ port: 9001 }, own), a, b, onMain], { adapter });
      expect(gatewayServers(app)).toEqual([own, forPaths]);
    },
  );

  it("finds the HTTP server Socket.IO made for its own port, not the app's own", () => {
    const main = createServer();
    const own = createServer();
    const io = { engine: {}, httpServer: own };
    const namespace = { engine: {}, server: { httpServer: own } };
    const onMain = { engine: {}, httpServer: main };
    expect(gatewayServers(appWith([io, namespace, onMain], { main }))).toEqual([own]);
  });

  it('names the port of a gateway whose HTTP server cannot be found', () => {
    const lost = wsServer({ port: 9003 });
    const unknownPort = wsServer({ noServer: true, path: '/events' });
    const noRegistry = wsServer({ noServer: true });
    const adapter = { wsServersRegistry: new Map([[9004, [noRegistry]]]) };
    const app = appWith([lost, unknownPort, noRegistry], { adapter });
    const found = gatewayServers(app);
    expect(found).toEqual([
      expect.stringMatching(/^nestjs-graceful: the WebSocket gateway on port 9003: its HTTP server was not found/),
      expect.stringMatching(/the WebSocket gateway at path \/events \(port unknown\)/),
      expect.stringMatching(/the WebSocket gateway on port 9004:/),
    ]);
  });

  it('says so when the gateways cannot be listed at all, and nothing for an app without gateways', () => {
    expect(gatewayServers({ socketModule: {} })).toEqual([expect.stringMatching(/gateways cannot be listed/)]);
    expect(gatewayServers({ socketModule: null })).toEqual([]);
    expect(gatewayServers(undefined)).toEqual([]);
  });
});
