/** What a registry knows of one running instance (kratos `registry.ServiceInstance`). */
export interface ServiceInstance {
  /** Unique per process: two replicas never share it. */
  readonly id: string;
  readonly name: string;
  readonly version: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** Real listening addresses, e.g. `http://10.1.2.3:3000`, `grpc://10.1.2.3:5000`. */
  readonly endpoints: readonly string[];
}
