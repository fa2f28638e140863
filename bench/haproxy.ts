import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/support/server-process';

export interface HaproxyProcess {
  readonly port: number;
  stop(): Promise<void>;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface HaproxyServer {
  port: number;
  /** Checked every 100 ms with GET /health/ready, out of the rotation at the first failure. */
  checked: boolean;
}

/**
 * Debian's `haproxy` in the foreground on 127.0.0.1, balancing HTTP round-robin over
 * `servers` with its defaults for server-side keep-alive (`http-reuse safe`, idle
 * connections pooled), a refused connect retried on another server. Its config lives in a temp dir.
 */
export async function startHaproxy(servers: readonly HaproxyServer[]): Promise<HaproxyProcess> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bench-haproxy-'));
  const config = join(dir, 'haproxy.cfg');
  writeFileSync(
    config,
    [
      'global',
      '  maxconn 1000',
      'defaults',
      '  mode http',
      '  timeout connect 200ms',
      '  timeout client 10s',
      '  timeout server 10s',
      '  retries 3',
      '  option redispatch 1',
      'listen app',
      `  bind 127.0.0.1:${port}`,
      '  balance roundrobin',
      '  option httpchk GET /health/ready',
      ...servers.map(
        (s, i) => `  server s${i} 127.0.0.1:${s.port}${s.checked ? ' check inter 100 fall 1 rise 1' : ''}`,
      ),
      '',
    ].join('\n'),
  );
  const proc = spawn('haproxy', ['-db', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  proc.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async () => {
    proc.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; !(await accepts(port)); i++) {
    if (i === 100 || proc.exitCode !== null) {
      await stop();
      throw new Error(`haproxy did not listen on ${port}: ${errors}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { port, stop };
}
