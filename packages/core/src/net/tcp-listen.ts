import type net from 'node:net';

/** A TCP server taking connections for a source, as {@link listenTcp} set it up. */
export interface TcpListening {
  /** The bound port: the one asked for, or the one the system chose when 0 was asked. */
  readonly port: number;
  /**
   * Stops taking new connections (the connections already open stay open: the source closes them
   * itself) and resolves once the server emitted 'close'. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Who listens for a source's server in a worker process of a multi-worker agent: the primary owns
 * the listening socket and hands each accepted connection to one worker, which emits it on the
 * server as a 'connection' event. Installed by the agent in each worker (see `setConnectionBroker`);
 * sources never use it directly.
 */
export interface ConnectionBroker {
  /**
   * Asks the primary to listen on `host`:`port` for `server` (rejects with the primary's listen
   * error, e.g. code EADDRINUSE) and emits each connection it hands over on `server`, honouring
   * `server.maxConnections` (a connection beyond it is closed and a 'drop' event emitted, as Node
   * does for a server that listens itself).
   */
  listen(server: net.Server, port: number, host: string): Promise<TcpListening>;
}

/** Kept on globalThis so every copy of @sluice/core loaded in a process (a plugin's own) sees the same broker. */
const BROKER = Symbol.for('sluice.connectionBroker');

/**
 * Makes {@link listenTcp} go through `broker` in this process (undefined: listen directly again).
 * Called by `sluice agent` in a worker process before its agent starts.
 */
export function setConnectionBroker(broker: ConnectionBroker | undefined): void {
  (globalThis as Record<symbol, unknown>)[BROKER] = broker;
}

/**
 * Puts a source's TCP (or TLS, or HTTP) server to work on `host`:`port`. In a single-process agent
 * the server listens itself. In a worker of a multi-worker agent the primary listens instead and
 * gives each new connection to the worker with the fewest open connections on that port (see
 * docs/workers.md), which delivers it to `server` as a 'connection' event: connection handlers,
 * TLS, HTTP and `maxConnections` work the same either way, but `server.address()` is null there,
 * so use the returned `port`. Rejects with the listen error (code EADDRINUSE, EACCES...), which the
 * source wraps in its SLUICE_COMPONENT_START error.
 */
export function listenTcp(server: net.Server, port: number, host: string): Promise<TcpListening> {
  const broker = (globalThis as Record<symbol, unknown>)[BROKER] as ConnectionBroker | undefined;
  if (broker) return broker.listen(server, port, host);
  return new Promise<TcpListening>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const bound = (server.address() as net.AddressInfo | null)?.port ?? port;
      let closed: Promise<void> | undefined;
      resolve({
        port: bound,
        close: () => (closed ??= new Promise<void>((done) => server.close(() => done()))),
      });
    });
  });
}
