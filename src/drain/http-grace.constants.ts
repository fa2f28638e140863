/**
 * @internal The least a connection with no request in flight gets, once the listener is closed, to
 * bring its next request (answered with `Connection: close`) before it is closed.
 */
export const IDLE_SOCKET_GRACE_MS = 50;

/**
 * @internal A keep-alive connection answered (or accepted) less than this long ago may be a client
 * about to send again: a looping client sends its next request once its event loop has
 * read our answer, late when its process is starved of CPU. Once the listener is closed
 * it gets until this long after its last answer to bring that request. Closing it sooner
 * races the request: a reset the client sees as a lost request. Measured (bench:window,
 * 2 cores, 2 busy loops, 16 looping clients): from an answer to the next request p99.9
 * 184–225 ms, at most 323 ms; no window lost 37 requests in 20 stops, 50–1000 ms none in
 * 12 stops per client kind. 1 s held the stop behind HAProxy's idle server connections
 * (1160 ms after SIGTERM with shutdownDelay 300 ms, 508 ms with this). A connection idle
 * for longer is closed after {@link IDLE_SOCKET_GRACE_MS}.
 */
export const KEEP_ALIVE_WINDOW_MS = 400;

/**
 * @internal How long a WebSocket client gets, after the 1001 close frame was sent, to answer it
 * before its connection is cut: a live peer answers within a round trip, and one that
 * never does must not hold up the exit.
 */
export const WEBSOCKET_CLOSE_GRACE_MS = 1_000;
