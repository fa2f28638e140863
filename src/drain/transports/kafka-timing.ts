/** @internal kafkajs' default `maxWaitTimeInMs`: how long the broker may hold a fetch that finds nothing. */
export const KAFKAJS_MAX_WAIT_MS = 5_000;

/** @internal Beyond the fetch: a consumer's commit and LeaveGroup, a round trip each, on a loaded host. */
export const LEAVE_MARGIN_MS = 1_000;
