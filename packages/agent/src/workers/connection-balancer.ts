import net from 'node:net';
import { listenTcp, type Logger } from '@sluice/core';
import type { WorkerMessage } from './worker-messages.js';

/** What the balancer needs of a worker process: an IPC channel that can carry a socket. */
export interface BalancedWorker {
  /** The worker's index (for logs and `openConnections`). */
  readonly index: number;
  /** Sends a message, with a socket handle when given; the callback reports a failed send. */
  send(message: WorkerMessage, socket: net.Socket | undefined, callback: (error: Error | null) => void): void;
}

/** One worker's server on a shared address. */
interface Subscriber {
  readonly worker: BalancedWorker;
  /** The worker's own number for its server (from its `listen` message). */
  readonly listener: number;
  /** Connections handed to it that it has not reported closed. */
  open: number;
}

/** One listening socket of the primary, shared by the workers that listen on its address. */
interface Shared {
  readonly key: string;
  readonly server: net.Server;
  /** Resolves with the bound port once listening; rejects with the listen error. */
  readonly bound: Promise<number>;
  readonly subscribers: Subscriber[];
  /** Where the search for the least-loaded worker starts next (rotates, so ties go round-robin). */
  next: number;
}

/**
 * The primary's half of TCP connection balancing in a multi-worker agent (the workers' half is
 * `WorkerConnectionBroker`). For each address a worker's source asks to listen on, the primary
 * opens one listening socket (`pauseOnConnect`: it never reads a byte) and hands every accepted
 * connection to the worker listening there that has the fewest open connections, sending the
 * socket's handle over the worker's IPC channel; ties go round-robin. Workers report when a
 * connection closes. So N long-lived connections always end up spread as evenly as they can be
 * (4 over 2 workers: 2 and 2), which cluster's round-robin (a connection goes to whichever worker
 * took its previous one fastest) does not ensure.
 *
 * A socket stays open while one worker listens on it: a worker that dies or stops listening is
 * dropped from it (connections then go to the others), and the socket closes when none is left.
 * A connection sent to a worker that dies before taking it is lost, like one cluster hands over.
 */
export class ConnectionBalancer {
  private readonly shared = new Map<string, Shared>();

  constructor(private readonly logger: Logger) {}

  /** Handles a balancing message from `worker`; false for any other message. */
  handle(worker: BalancedWorker, message: WorkerMessage): boolean {
    switch (message.sluice) {
      case 'listen':
        void this.listen(worker, message.listener, message.port, message.host);
        return true;
      case 'unlisten':
        this.unsubscribe((s) => s.worker === worker && s.listener === message.listener);
        return true;
      case 'connection-closed':
        for (const shared of this.shared.values()) {
          const subscriber = shared.subscribers.find((s) => s.worker === worker && s.listener === message.listener);
          if (subscriber && subscriber.open > 0) subscriber.open--;
        }
        return true;
      default:
        return false;
    }
  }

  /** Forgets a worker that exited: it gets no more connections; sockets nobody listens on close. */
  workerGone(worker: BalancedWorker): void {
    this.unsubscribe((s) => s.worker === worker);
  }

  /** Open connections of each worker index, summed over every listening socket. */
  openConnections(): Map<number, number> {
    const counts = new Map<number, number>();
    for (const shared of this.shared.values()) {
      for (const s of shared.subscribers) counts.set(s.worker.index, (counts.get(s.worker.index) ?? 0) + s.open);
    }
    return counts;
  }

  /** Closes every listening socket (the agent stopped). */
  close(): void {
    for (const shared of this.shared.values()) shared.server.close();
    this.shared.clear();
  }

  private async listen(worker: BalancedWorker, listener: number, port: number, host: string): Promise<void> {
    const key = `${host}|${port}`;
    let shared = this.shared.get(key);
    if (!shared) shared = this.open(key, port, host);
    const subscriber: Subscriber = { worker, listener, open: 0 };
    // Subscribed at once, so the socket stays open while this worker waits for it to bind.
    shared.subscribers.push(subscriber);
    try {
      const bound = await shared.bound;
      worker.send({ sluice: 'listening', listener, port: bound }, undefined, () => undefined);
    } catch (error) {
      const { message, code } = error as NodeJS.ErrnoException;
      this.unsubscribe((s) => s === subscriber);
      worker.send({ sluice: 'listening', listener, error: { message, ...(code === undefined ? {} : { code }) } }, undefined, () => undefined);
    }
  }

  private open(key: string, port: number, host: string): Shared {
    const server = net.createServer({ pauseOnConnect: true });
    // The primary has no connection broker, so this listens directly.
    const bound = listenTcp(server, port, host).then((listening) => listening.port);
    const shared: Shared = { key, server, bound, subscribers: [], next: 0 };
    // A socket that failed to bind is forgotten, so a later listen tries again.
    bound.then(() => {
      server.on('error', (err) => this.logger.error({ err, host, port }, 'shared listening socket error'));
    }, () => {
      if (this.shared.get(key) === shared) this.shared.delete(key);
    });
    server.on('connection', (socket) => this.dispatch(shared, socket));
    this.shared.set(key, shared);
    return shared;
  }

  /** Sends `socket` to the subscriber with the fewest open connections. */
  private dispatch(shared: Shared, socket: net.Socket): void {
    const { subscribers } = shared;
    if (subscribers.length === 0) {
      socket.destroy();
      return;
    }
    let chosen = subscribers[shared.next % subscribers.length]!;
    for (let i = 1; i < subscribers.length; i++) {
      const candidate = subscribers[(shared.next + i) % subscribers.length]!;
      if (candidate.open < chosen.open) chosen = candidate;
    }
    shared.next = (subscribers.indexOf(chosen) + 1) % subscribers.length;
    chosen.open++;
    const subscriber = chosen;
    subscriber.worker.send({ sluice: 'connection', listener: subscriber.listener }, socket, (error) => {
      if (!error) return;
      // The worker is gone or its channel closed: the client sees its connection close.
      if (subscriber.open > 0) subscriber.open--;
      this.logger.debug({ err: error, worker: subscriber.worker.index }, 'could not hand a connection to a worker; closed it');
      socket.destroy();
    });
  }

  private unsubscribe(match: (s: Subscriber) => boolean): void {
    for (const [key, shared] of this.shared) {
      const left = shared.subscribers.filter((s) => !match(s));
      if (left.length === shared.subscribers.length) continue;
      shared.subscribers.splice(0, shared.subscribers.length, ...left);
      if (left.length === 0) {
        this.shared.delete(key);
        shared.server.close();
      }
    }
  }
}
