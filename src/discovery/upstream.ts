import { Pool, type Dispatcher } from 'undici';
import type { ServiceInstance } from '../registry/service-instance.interface.js';
import type { Candidate } from './balancer.js';
import { Ejection } from './ejection.js';

/** @internal The pool settings of one instance, and how long a failed connect leaves it out. */
export interface UpstreamOptions {
  connections: number;
  connectTimeout: number;
  keepAliveTimeout: number;
  bodyTimeout: number;
  allowH2: boolean;
  ejectionTime: number;
}

/** @internal One instance of the service: its keep-alive pool and the requests it is answering. */
export class Upstream implements Candidate {
  private inFlightCount = 0;
  private readonly pool: Dispatcher;
  /** Out of picks after a failed connect, while discovery still lists it. */
  readonly ejection: Ejection;

  constructor(
    /** Replaced when the watch reports new metadata for the same id and endpoint. */
    public instance: ServiceInstance,
    readonly origin: string,
    options: UpstreamOptions,
    createPool: (origin: string, options: Pool.Options) => Dispatcher = (o, opts) => new Pool(o, opts),
  ) {
    this.ejection = new Ejection(options.ejectionTime);
    this.pool = createPool(origin, {
      connections: options.connections,
      connectTimeout: options.connectTimeout,
      keepAliveTimeout: options.keepAliveTimeout,
      bodyTimeout: options.bodyTimeout,
      allowH2: options.allowH2,
    });
  }

  get inFlight(): number {
    return this.inFlightCount;
  }

  /** Counted in flight from the call until its response body is done (read, destroyed or failed). */
  async request(options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData> {
    this.inFlightCount++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.inFlightCount--;
    };
    try {
      const response = await this.pool.request(options);
      response.body.once('close', release);
      if (response.body.destroyed) release();
      return response;
    } catch (err) {
      release();
      throw err;
    }
  }

  /** Lets the requests in flight finish, then closes the sockets; new requests are refused at once. */
  close(): Promise<void> {
    return this.pool.close().catch(() => undefined);
  }

  destroy(): Promise<void> {
    return this.pool.destroy().catch(() => undefined);
  }
}
