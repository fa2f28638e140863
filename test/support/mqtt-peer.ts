import { connectAsync, type MqttClient } from 'mqtt';
import { afterEach } from 'vitest';
import { MQTT_GROUP, type Job } from './broker-app';
import type { Broker } from './broker-servers';

/** Plain mqtt.js clients of the broker, ended after each test. */
export function mqttPeers(suite: { readonly broker: Broker }) {
  const clients: MqttClient[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.endAsync(true);
  });
  const connect = async () => {
    const client = await connectAsync(suite.broker.url, { reconnectPeriod: 0 });
    clients.push(client);
    return client;
  };
  return {
    /**
     * Publishes `job` events as Nest's MQTT transport expects them, each acknowledged by the broker (QoS 1) or written
     * (QoS 0).
     */
    async publish(jobs: Job[], qos: 0 | 1): Promise<void> {
      const client = await connect();
      for (const job of jobs) await client.publishAsync('job', JSON.stringify({ pattern: 'job', data: job }), { qos });
    },
    /**
     * Another member of the consumers' shared subscription to `job` (a stand-in for another instance): the ids it got,
     * in order.
     */
    async otherMember(): Promise<number[]> {
      const client = await connect();
      const got: number[] = [];
      client.on('message', (_topic, payload) => got.push((JSON.parse(payload.toString()) as { data: Job }).data.id));
      await client.subscribeAsync(`${MQTT_GROUP}/job`, { qos: 1 });
      return got;
    },
  };
}
