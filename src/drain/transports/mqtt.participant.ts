import { bounded, describeError } from '../../common/bounded.js';
import { MAX_TIMER_MS } from '../../common/timers.js';
import type { DrainContext, DrainParticipant, TransportDrain } from './drain-participant.interface.js';
import { TRANSPORT, type TransportServerLike } from './nest-transports.js';

/** mqtt.js' `customHandleAcks` option: `done` sends the PUBACK (QoS 1) or PUBREC (QoS 2). */
type AckHandler = (topic: string, message: unknown, packet: unknown, done: (code: number) => void) => void;

/** mqtt.js' MqttClient (v5), as read here: public methods, `disconnecting` and the options it reads per message. */
interface MqttClientLike {
  readonly disconnecting: boolean;
  readonly options: { customHandleAcks?: AckHandler };
  unsubscribe(topics: string[], callback: (error?: Error) => void): unknown;
  end(force: boolean, options: object, callback: () => void): unknown;
  removeAllListeners(event: 'message'): unknown;
}

/** Nest's ServerMqtt, as read here: its client (a private field), and what it subscribed to. */
interface MqttTransportLike extends TransportServerLike {
  mqttClient?: MqttClientLike | null;
  getHandlers(): Map<string, { isEventHandler?: boolean }>;
  getRequestPattern(pattern: string): string;
}

const NAME = 'MQTT microservice';
const CANNOT = `${NAME} (Transport.MQTT) cannot be drained`;
const UNDRAINED = "It keeps taking messages through the drain and is closed by Nest's teardown.";

/** What this participant lacks on Nest's server (and on its mqtt.js client once it has one), or undefined. */
function missingOn(server: Partial<MqttTransportLike>): string | undefined {
  const missing = [
    ...(['getHandlers', 'getRequestPattern'] as const).filter((method) => typeof server[method] !== 'function'),
    ...('mqttClient' in server ? [] : ['mqttClient']),
  ];
  if (missing.length > 0)
    return (
      `${CANNOT}: its server has no ${missing.join(', ')} (renamed by a @nestjs/microservices upgrade?). ` +
      `${UNDRAINED}`
    );
  const client = server.mqttClient as Partial<MqttClientLike> | null | undefined;
  if (!client) return undefined; // not listening yet
  const lacking = [
    ...(['unsubscribe', 'end', 'removeAllListeners'] as const).filter((method) => typeof client[method] !== 'function'),
    ...(typeof client.options?.customHandleAcks === 'function' ? [] : ['options.customHandleAcks']),
    ...('disconnecting' in client ? [] : ['disconnecting']),
  ];
  return lacking.length > 0
    ? `${CANNOT}: its mqtt client has no ${lacking.join(', ')} (not mqtt.js 5?). ${UNDRAINED}`
    : undefined;
}

/**
 * One MQTT transport. Phase 5: unsubscribes from every topic ServerMqtt subscribed to; what the
 * broker sent before its UNSUBACK is still handled and replied to (with a clean session the
 * broker would otherwise drop it: mosquitto 2.0 never hands a shared subscription's messages
 * on to another member). Disconnect: no message reaches a handler any more, QoS 1 and 2 ones
 * are no longer acknowledged, and the client ends after the replies are written; it is then
 * forgotten, so Nest's later close does nothing twice.
 */
class MqttParticipant implements DrainParticipant {
  readonly name = NAME;

  constructor(private readonly server: MqttTransportLike) {}

  async stopAccepting(signal: AbortSignal): Promise<string | void> {
    const client = this.liveClient();
    if (!client) return;
    const topics = this.subscribedTopics();
    if (topics.length === 0) return;
    // mqtt.js also forgets them, so a reconnect during the drain does not subscribe again.
    const unsubscribed = await bounded(
      MAX_TIMER_MS,
      () =>
        new Promise<void>((resolve, reject) =>
          client.unsubscribe(topics, (error) => (error ? reject(error) : resolve())),
        ),
      signal,
    );
    if (!unsubscribed.ok) throw new Error(`${NAME}: unsubscribing failed: ${describeError(unsubscribed.error)}`);
    return `${NAME}: unsubscribed from ${topics.length} topic(s)`;
  }

  async closeRemaining(signal: AbortSignal): Promise<void> {
    const client = this.liveClient();
    if (!client) return;
    // A message still arriving (the broker had queued it before the UNSUBACK) could not end
    // before onModuleDestroy. Unacknowledged, a QoS 1 or 2 one stays with the broker: a
    // persistent session (clean: false) gets it again at its next connection.
    client.removeAllListeners('message');
    client.options.customHandleAcks = () => {};
    // Nest publishes a reply on process.nextTick after the handler's stream completed.
    await new Promise<void>((resolve) => setImmediate(resolve));
    // Not forced: QoS 1 and 2 replies are acknowledged by the broker before the DISCONNECT. A
    // message held above stops mqtt.js reading, so a PUBACK behind it leaves this to `signal`.
    await bounded(MAX_TIMER_MS, () => new Promise<void>((resolve) => client.end(false, {}, resolve)), signal);
    this.server.mqttClient = null;
  }

  /** The client, if it is connected or connecting and not ending; throws if it is not the client this file knows. */
  private liveClient(): MqttClientLike | undefined {
    const problem = missingOn(this.server);
    if (problem) throw new Error(problem);
    const client = this.server.mqttClient;
    return client && !client.disconnecting ? client : undefined;
  }

  /** As ServerMqtt subscribed them: event patterns as they are, message patterns as request topics. */
  private subscribedTopics(): string[] {
    const topics = new Set<string>();
    for (const [pattern, handler] of this.server.getHandlers()) {
      topics.add(handler.isEventHandler ? pattern : this.server.getRequestPattern(pattern));
    }
    return [...topics];
  }
}

/** @internal Drains Nest's MQTT transport (`Transport.MQTT`, ServerMqtt over mqtt.js 5). */
export const mqttDrain: TransportDrain = {
  transport: 'MQTT',
  transportId: TRANSPORT.MQTT,
  detect: (context: DrainContext) =>
    context.microservices
      .filter((server): server is MqttTransportLike => server.transportId === TRANSPORT.MQTT)
      .map((server) => missingOn(server) ?? new MqttParticipant(server)),
};
