import { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { DrainLedger } from '../src/drain/drain-ledger';
import { HttpConnections } from '../src/drain/http-connections';
import { median } from './median';

/**
 * The drain ledger's CPU per HTTP request, without the network: `node
 * build/bench/ledger-cost.bench.js` (after `npm run build:test`). Each iteration makes a
 * real IncomingMessage and ServerResponse on one kept-alive socket, emits 'request' on an
 * http.Server and then the response's 'close', as Node does; once on a bare server and
 * once on one the ledger tracks. Rounds alternate; the figure is the median difference of
 * process CPU time per request, which a busy machine disturbs far less than req/s.
 */
const ROUNDS = 15;
const REQUESTS = 200_000;

function cpuNsPerRequest(tracked: boolean): number {
  const server = new Server();
  const socket = new Socket();
  if (tracked) {
    new HttpConnections(server, new DrainLedger());
    server.emit('connection', socket);
  }
  // What the app's own 'request' listener costs is the same for both.
  server.on('request', () => undefined);
  const started = process.cpuUsage();
  for (let i = 0; i < REQUESTS; i++) {
    const req = new IncomingMessage(socket);
    const res = new ServerResponse(req);
    server.emit('request', req, res);
    // As after res.end(): the response is written (writableEnded), so its 'close' ends the unit. Without it every
    // unit waited for an answer that never came, the ledger grew by a unit a request and the bench ran out of heap.
    res.finished = true;
    res.emit('close');
  }
  const used = process.cpuUsage(started);
  return ((used.user + used.system) * 1_000) / REQUESTS;
}

function main(): void {
  // Warm both paths up so the JIT has compiled them before the measured rounds.
  cpuNsPerRequest(false);
  cpuNsPerRequest(true);
  const bare: number[] = [];
  const tracked: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    bare.push(cpuNsPerRequest(false));
    tracked.push(cpuNsPerRequest(true));
    console.log(`round ${round}  bare ${bare.at(-1)!.toFixed(0)} ns/req  tracked ${tracked.at(-1)!.toFixed(0)} ns/req`);
  }
  const differences = tracked.map((t, i) => t - bare[i]!);
  console.log(
    `ledger cost per request: median ${median(differences).toFixed(0)} ns ` +
      `(min ${Math.min(...differences).toFixed(0)}, max ${Math.max(...differences).toFixed(0)}; ` +
      `bare median ${median(bare).toFixed(0)} ns, tracked median ${median(tracked).toFixed(0)} ns)`,
  );
}

main();
