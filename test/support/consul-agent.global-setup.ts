import { provideBinary } from './locate-tool';

/** The Consul agent the integration and consumer tests start (scripts/consul-agent.sh). */
export default (): Promise<void> => provideBinary('consul-agent.sh', 'CONSUL_BIN', 'consul agent');
