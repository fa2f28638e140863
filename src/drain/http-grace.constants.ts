/**
 * @internal The least a connection with no request in flight gets, once the listener is closed, to
 * bring its next request (answered with `Connection: close`) before it is closed.
 */
export const IDLE_SOCKET_GRACE_MS = 50;

/**
 * @internal A keep-alive connection answered (or accepted) less than this long ago may be a client
 * about to send again: a round trip and the client's own work after our answer, longer
 * when its process is starved of CPU. Once the listener is closed it gets until this long
 * after its last answer to bring that request. Closing it sooner races the request: a
 * reset the client sees as a lost request (measured: 16 of 16 clients of a CPU-starved
 * process with a 50 ms grace). A connection idle for longer is closed after
 * {@link IDLE_SOCKET_GRACE_MS}.
 */
export const KEEP_ALIVE_WINDOW_MS = 1_000;

/**
 * @internal How long a WebSocket client gets, after the 1001 close frame was sent, to answer it
 * before its connection is cut: a live peer answers within a round trip, and one that
 * never does must not hold up the exit.
 */
export const WEBSOCKET_CLOSE_GRACE_MS = 1_000;
