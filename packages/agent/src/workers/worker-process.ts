import cluster from 'node:cluster';
import net from 'node:net';
import type { ConnectionBroker, TcpListening } from '@sluice/core';
import type { Agent } from '../agent.js';
import { isWorkerMessage, snapshotGroup, type WorkerMessage } from './worker-messages.js';

/** Which worker this process is: set by the primary in the environment of each worker it forks. */
export interface WorkerIdentity {
  /** 0 to count - 1; a restarted worker gets the index of the one it replaces. */
  readonly index: number;
  readonly count: number;
}

/** Environment variables the primary sets for a worker. */
export const WORKER_INDEX_ENV = 'SLUICE_WORKER_INDEX';
export const WORKER_COUNT_ENV = 'SLUICE_WORKER_COUNT';

/**
 * This process's identity when it is a worker forked by `sluice agent`'s primary (a cluster worker
 * with SLUICE_WORKER_INDEX and SLUICE_WORKER_COUNT set), otherwise undefined.
 */
export function workerIdentity(env: NodeJS.ProcessEnv = process.env): WorkerIdentity | undefined {
  if (!cluster.isWorker) return undefined;
  const index = Number(env[WORKER_INDEX_ENV]);
  const count = Number(env[WORKER_COUNT_ENV]);
  if (!Number.isInteger(index) || !Number.isInteger(count) || index < 0 || index >= count) return undefined;
  return { index, count };
}

/**
 * Connects a started worker's agent to the primary: tells it the agent started, answers its
 * `metrics` requests with the agent's metrics and health, and calls `stop` when the primary asks
 * for a drain or goes away (the IPC channel closes: a worker never outlives its primary).
 * Called by `sluice agent` in a worker process right after the agent started. Returns a function
 * that detaches the listeners.
 */
export function connectToPrimary(agent: Agent, identity: WorkerIdentity, stop: () => void): () => void {
  const send = (message: WorkerMessage): void => {
    if (process.connected) process.send?.(message);
  };
  const onMessage = (message: unknown): void => {
    if (!isWorkerMessage(message)) return;
    if (message.sluice === 'stop') stop();
    else if (message.sluice === 'metrics') {
      send({ sluice: 'metrics', id: message.id, report: { groups: agent.metrics.map(snapshotGroup), healthy: agent.healthy, status: agent.status } });
    }
  };
  process.on('message', onMessage);
  process.on('disconnect', stop);
  send({ sluice: 'started', index: identity.index });
  return () => {
    process.off('message', onMessage);
    process.off('disconnect', stop);
  };
}

/**
 * The worker's half of TCP connection balancing (the primary's half is `ConnectionBalancer`),
 * installed with `setConnectionBroker` before the worker's agent starts, so every source that
 * listens through `listenTcp` asks the primary to listen for it. Each connection the primary hands
 * over arrives as a socket and is emitted on the source's server as a 'connection' event (after the
 * `maxConnections` check Node makes for a server that listens itself); when it closes, the primary
 * is told, so it knows how many connections each worker has open.
 */
export class WorkerConnectionBroker implements ConnectionBroker {
  private nextListener = 1;
  private readonly servers = new Map<number, { server: net.Server; open: number }>();
  private readonly waiting = new Map<number, { resolve: (port: number) => void; reject: (error: Error) => void }>();
  private readonly onMessage = (message: unknown, handle: unknown): void => {
    if (!isWorkerMessage(message)) return;
    if (message.sluice === 'listening') {
      const waiter = this.waiting.get(message.listener);
      this.waiting.delete(message.listener);
      if (!waiter) return;
      if ('error' in message) waiter.reject(Object.assign(new Error(message.error.message), message.error.code === undefined ? {} : { code: message.error.code }));
      else waiter.resolve(message.port);
    } else if (message.sluice === 'connection' && handle instanceof net.Socket) {
      this.take(message.listener, handle);
    }
  };

  /** Starts handling the primary's answers and connections. */
  attach(): this {
    process.on('message', this.onMessage);
    return this;
  }

  /** Stops handling them (the worker stopped). */
  detach(): void {
    process.off('message', this.onMessage);
    for (const waiter of this.waiting.values()) waiter.reject(new Error('the worker left its primary before the listening socket was ready'));
    this.waiting.clear();
  }

  async listen(server: net.Server, port: number, host: string): Promise<TcpListening> {
    if (!process.connected || !process.send) throw new Error('this worker is no longer connected to its primary, which listens for it');
    const listener = this.nextListener++;
    const bound = await new Promise<number>((resolve, reject) => {
      this.waiting.set(listener, { resolve, reject });
      this.send({ sluice: 'listen', listener, port, host });
    });
    this.servers.set(listener, { server, open: 0 });
    // What a server that listens itself emits (an HTTP server starts checking its timeouts on it).
    server.emit('listening');
    let closed: Promise<void> | undefined;
    return {
      port: bound,
      close: () => (closed ??= new Promise<void>((resolve) => {
        this.servers.delete(listener);
        this.send({ sluice: 'unlisten', listener });
        // The server never listened itself: close() still emits 'close' (and an HTTP server closes its idle connections).
        server.close(() => resolve());
      })),
    };
  }

  private take(listener: number, socket: net.Socket): void {
    const entry = this.servers.get(listener);
    const closed = (): void => this.send({ sluice: 'connection-closed', listener });
    // The server stopped listening while the connection was on its way: the client sees it close.
    if (!entry) {
      socket.destroy();
      closed();
      return;
    }
    const { server } = entry;
    if (server.maxConnections !== undefined && server.maxConnections !== null && entry.open >= server.maxConnections) {
      const drop = { localAddress: socket.localAddress, localPort: socket.localPort, localFamily: socket.localFamily, remoteAddress: socket.remoteAddress, remotePort: socket.remotePort, remoteFamily: socket.remoteFamily };
      socket.destroy();
      closed();
      if (server.listenerCount('drop') > 0) server.emit('drop', drop);
      return;
    }
    entry.open++;
    // What Node's own accept does with the server's options (the socket came over IPC without them).
    const options = server as net.Server & { allowHalfOpen?: boolean; noDelay?: boolean; keepAlive?: boolean; keepAliveInitialDelay?: number };
    socket.allowHalfOpen = options.allowHalfOpen === true;
    if (options.noDelay) socket.setNoDelay(true);
    if (options.keepAlive) socket.setKeepAlive(true, options.keepAliveInitialDelay);
    socket.once('close', () => {
      entry.open--;
      closed();
    });
    server.emit('connection', socket);
  }

  private send(message: WorkerMessage): void {
    if (process.connected) process.send?.(message);
  }
}
