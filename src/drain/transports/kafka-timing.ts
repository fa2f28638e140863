/** kafkajs' default `maxWaitTimeInMs`: how long the broker may hold a fetch that finds nothing. */
const KAFKAJS_MAX_WAIT_MS = 5_000;

/** @internal Beyond the fetch: a consumer's commit and LeaveGroup, a round trip each, on a loaded host. */
export const LEAVE_MARGIN_MS = 1_000;

/** @internal How long an idle consumer may take to stop or close, when that outlasts a bound. */
export interface ConsumerWait {
  /** Its fetch's longest wait plus {@link LEAVE_MARGIN_MS}: the bound it needs. */
  readonly needed: number;
  /** The `maxWaitTimeInMs` in force, as a warning names it. */
  readonly setting: string;
}

/**
 * @internal An idle kafkajs consumer's `stop()` or `disconnect()` waits for the fetch it has at
 * the broker, up to `maxWaitTimeInMs`, then commits and leaves its group: what that may take,
 * when it is more than `bound` ms; undefined when it fits.
 */
export function consumerWaitOver(maxWaitTimeInMs: number | undefined, bound: number): ConsumerWait | undefined {
  const wait = maxWaitTimeInMs ?? KAFKAJS_MAX_WAIT_MS;
  if (bound >= wait + LEAVE_MARGIN_MS) return undefined;
  return {
    needed: wait + LEAVE_MARGIN_MS,
    setting: maxWaitTimeInMs === undefined ? `kafkajs' default ${wait} ms` : `${wait} ms`,
  };
}
