import dgram from 'node:dgram';
import net from 'node:net';
import type { SourceContext } from '../context.js';
import { SluiceError } from '../errors.js';
import type { SluiceEvent } from '../event.js';
import { LogThrottle } from '../log-throttle.js';
import { RetryingDelivery } from '../retrying-delivery.js';
import { readUdpSocketDrops } from './kernel-udp-drops.js';

/** What a UDP source tells {@link UdpEventServer}. */
export interface UdpEventServerOptions {
  host: string;
  port: number;
  /** SO_RCVBUF in bytes (the kernel caps it at net.core.rmem_max); 0 keeps the system default. */
  receiveBufferSize: number;
  /** Most events held while the channel refuses them; datagrams beyond are dropped and counted. */
  maxPending: number;
  /** Events per channel transaction. */
  batchSize: number;
  /** Turns one datagram into events (none to skip it); called on the socket's message event. */
  toEvents(datagram: Buffer, sender: dgram.RemoteInfo): SluiceEvent[];
  /** Runs on each batch before it is delivered (e.g. to fill in host names looked up meanwhile). */
  beforeDeliver?(events: SluiceEvent[]): Promise<void>;
}

/**
 * The receiving half every UDP source shares (syslog_udp, netcat_udp). UDP cannot push back, so
 * datagrams are turned into events at once, queued, and delivered in batches (those that arrive
 * in one turn of the event loop go together); while the channel refuses a batch it is retried
 * and new events queue up to `maxPending`. Beyond that datagrams are dropped and counted in
 * `EventDroppedCount` (logged at most once per 10 s). Datagrams the kernel discards because the
 * socket's receive buffer is full never reach the source; on Linux their count for this socket is
 * read from /proc/net/udp once a second into `KernelDroppedCount` and `EventDroppedCount`.
 *
 * The owning source calls `start` and `stop`; `stop` delivers what is queued (for at most 2 s of
 * a refusing channel) before resolving.
 */
export class UdpEventServer {
  private socket: dgram.Socket | undefined;
  private readonly delivery: RetryingDelivery;
  private queue: SluiceEvent[] = [];
  /** Events taken from the queue whose delivery has not finished. */
  private delivering = 0;
  private draining: Promise<void> | undefined;
  private scheduled = false;
  private kernelDrops = 0;
  private kernelDropTimer: NodeJS.Timeout | undefined;
  private readonly droppedWarning: LogThrottle;
  private readonly kernelWarning: LogThrottle;

  constructor(private readonly ctx: SourceContext, private readonly what: string, private readonly options: UdpEventServerOptions) {
    this.delivery = new RetryingDelivery(ctx, options.batchSize);
    this.droppedWarning = new LogThrottle(ctx.logger, 'warn', `${what}: datagrams dropped, the channel is not keeping up`);
    this.kernelWarning = new LogThrottle(ctx.logger, 'warn', `${what}: datagrams dropped by the kernel, the receive buffer was full (raise receiveBufferSize and net.core.rmem_max)`);
    ctx.metrics.gauge('EventPendingCount', () => this.queue.length + this.delivering);
    // Listed in /metrics from the start, not only once something happened.
    for (const counter of ['EventDroppedCount', 'KernelDroppedCount']) ctx.metrics.inc(counter, 0);
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    return this.socket?.address().port ?? 0;
  }

  /** The receive buffer the kernel granted. */
  get receiveBufferSize(): number {
    return this.socket?.getRecvBufferSize() ?? 0;
  }

  async start(): Promise<void> {
    if (this.socket) return;
    this.delivery.restart();
    const { host, port } = this.options;
    const family = net.isIPv6(host) ? 'udp6' : 'udp4';
    const socket = dgram.createSocket(family);
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (err) => reject(new SluiceError('SLUICE_COMPONENT_START', `${this.what} cannot bind ${host}:${port}: ${err.message}`, { cause: err })));
      socket.bind(port, host, () => {
        socket.removeAllListeners('error');
        resolve();
      });
    });
    if (this.options.receiveBufferSize > 0) {
      socket.setRecvBufferSize(this.options.receiveBufferSize);
      // The kernel caps the request at net.core.rmem_max; say what was granted.
      this.ctx.logger.info({ requested: this.options.receiveBufferSize, granted: socket.getRecvBufferSize() }, `${this.what}: receive buffer set`);
    }
    socket.on('error', (err) => this.ctx.logger.error({ err }, `${this.what}: UDP socket error`));
    socket.on('message', (msg, rinfo) => this.receive(msg, rinfo));
    this.socket = socket;
    const boundPort = this.port;
    this.kernelDrops = readUdpSocketDrops(boundPort, family) ?? 0;
    this.kernelDropTimer = setInterval(() => this.readKernelDrops(boundPort, family), 1000);
    this.kernelDropTimer.unref();
  }

  async stop(): Promise<void> {
    const socket = this.socket;
    if (!socket) return;
    clearInterval(this.kernelDropTimer);
    this.readKernelDrops(this.port, socket.address().family === 'IPv6' ? 'udp6' : 'udp4');
    this.socket = undefined;
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    const timer = setTimeout(() => this.delivery.stop(), 2000);
    await this.flushNow();
    clearTimeout(timer);
    this.delivery.stop();
    this.droppedWarning.flush();
    this.kernelWarning.flush();
  }

  private receive(msg: Buffer, sender: dgram.RemoteInfo): void {
    if (this.queue.length + this.delivering >= this.options.maxPending) {
      this.drop(1);
      return;
    }
    const events = this.options.toEvents(msg, sender);
    if (events.length === 0) return;
    for (const event of events) this.queue.push(event);
    if (!this.scheduled && !this.draining) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        void this.flushNow();
      });
    }
  }

  private flushNow(): Promise<void> {
    this.draining ??= this.drain().finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const events = this.queue;
      this.queue = [];
      this.delivering = events.length;
      try {
        if (this.options.beforeDeliver) await this.options.beforeDeliver(events);
        await this.delivery.deliver(events);
      } finally {
        this.delivering = 0;
      }
    }
  }

  private readKernelDrops(port: number, family: 'udp4' | 'udp6'): void {
    const drops = readUdpSocketDrops(port, family);
    if (drops === undefined || drops <= this.kernelDrops) return;
    const added = drops - this.kernelDrops;
    this.kernelDrops = drops;
    this.ctx.metrics.inc('KernelDroppedCount', added);
    this.ctx.metrics.inc('EventDroppedCount', added);
    this.kernelWarning.log({ dropped: added, receiveBufferSize: this.socket?.getRecvBufferSize() });
  }

  private drop(count: number): void {
    this.ctx.metrics.inc('EventDroppedCount', count);
    if (this.ctx.telemetry.observed) {
      this.ctx.telemetry.emit('component.error', this.ctx.name, count, 0, new SluiceError('SLUICE_CHANNEL_FULL', `${this.what}: datagram dropped, ${this.options.maxPending} events already wait for the channel`));
    }
    this.droppedWarning.log({ dropped: count, maxPending: this.options.maxPending });
  }
}
