import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startMosquitto, startNats, startRabbitMq, startRedis, type Broker } from '../support/broker-servers';
import { tryConnect } from '../support/server-process';

/** The first bytes a server sends on a new connection (NATS and Redis speak first or answer PING). */
function exchange(port: number, send: string | Buffer, until: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      if (until.test(text)) {
        socket.destroy();
        resolve(text);
      }
    });
    socket.once('connect', () => socket.write(send));
    socket.once('error', reject);
  });
}

describe('the brokers the transport tests start', () => {
  let broker: Broker | undefined;
  afterEach(async () => {
    await broker?.stop();
    broker = undefined;
  });

  it('nats-server (built from tools/nats) answers INFO on a free port and is gone after stop', async () => {
    broker = await startNats();
    expect(await exchange(broker.port, '', /^INFO /)).toMatch(/"port":\d+/);
    await broker.stop();
    expect(await tryConnect(broker.port)).toBe('ECONNREFUSED');
  });

  it('redis-server answers PING on a free port and is gone after stop', async () => {
    broker = await startRedis();
    expect(await exchange(broker.port, 'PING\r\n', /\r\n/)).toBe('+PONG\r\n');
    await broker.stop();
    expect(await tryConnect(broker.port)).toBe('ECONNREFUSED');
  });

  it('mosquitto answers an MQTT 3.1.1 CONNECT with CONNACK on a free port and is gone after stop', async () => {
    broker = await startMosquitto();
    // CONNECT: protocol "MQTT" level 4, clean session, keep-alive 60 s, an empty client id.
    const connect = Buffer.from([0x10, 12, 0, 4, ...Buffer.from('MQTT'), 4, 0x02, 0, 60, 0, 0]);
    // CONNACK, accepted: 0x20 0x02 0x00 0x00.
    expect(await exchange(broker.port, connect, /^[\s\S]{4}$/)).toBe('\x20\x02\x00\x00');
    await broker.stop();
    expect(await tryConnect(broker.port)).toBe('ECONNREFUSED');
  });

  it('rabbitmq-server answers the AMQP 0-9-1 handshake on a free port and is gone after stop', async () => {
    broker = await startRabbitMq();
    // Connection.Start: frame type 1 on channel 0, class 10 method 10.
    const reply = await exchange(broker.port, Buffer.from('AMQP\x00\x00\x09\x01', 'latin1'), /RabbitMQ/);
    expect(reply.charCodeAt(0)).toBe(1);
    await broker.stop();
    expect(await tryConnect(broker.port)).toBe('ECONNREFUSED');
    // A cold Erlang VM boots in 10–40 s on a loaded 2-core machine.
  }, 180_000);
});
