import dgram from 'node:dgram';
import net from 'node:net';
import { defineComponent, parseSize, SIZE_PATTERN, SluiceError, type EventDrivenSource, type SluiceEvent, type SourceContext } from '@sluice/core';
import { HostnameResolver } from './hostname-resolver.js';
import { RetryingDelivery } from './retrying-delivery.js';
import { SyslogParser, SYSLOG_HEADERS } from './syslog-parser.js';
import { SYSLOG_COMMON_PROPERTIES, SYSLOG_COMMON_REQUIRED, syslogFromFlume, type SyslogCommonConfig } from './syslog-schema.js';

/** Config of the `syslog_udp` source. */
export interface SyslogUdpSourceConfig extends SyslogCommonConfig {
  maxPending: number;
  receiveBufferSize: string;
}

/**
 * A syslog server over UDP, like Flume's syslogudp source: one datagram is one message (a
 * trailing newline is removed), RFC 3164 or RFC 5424 detected per message.
 *
 * UDP cannot push back. Datagrams are queued and delivered in batches; while the channel refuses
 * a batch it is retried and new datagrams queue up to `maxPending` events. Beyond that they are
 * dropped and counted in `EventDroppedCount` (also logged, at most once per second).
 */
export class SyslogUdpSource implements EventDrivenSource {
  readonly name: string;
  private socket: dgram.Socket | undefined;
  private readonly parser: SyslogParser;
  private readonly delivery: RetryingDelivery;
  private queue: SluiceEvent[] = [];
  private readonly resolver = new HostnameResolver();
  /** Sender addresses of queued events whose host name was not cached yet. */
  private readonly unresolved = new Map<SluiceEvent, string>();
  /** Events taken from the queue whose delivery has not finished. */
  private delivering = 0;
  private draining: Promise<void> | undefined;
  private scheduled = false;
  private droppedSinceLog = 0;
  private lastDropLog = 0;

  constructor(private readonly config: SyslogUdpSourceConfig, private readonly ctx: SourceContext) {
    this.name = ctx.name;
    this.parser = new SyslogParser(config);
    this.delivery = new RetryingDelivery(ctx, config.batchSize);
    ctx.metrics.gauge('EventPendingCount', () => this.queue.length + this.delivering);
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    return this.socket?.address().port ?? 0;
  }

  async start(): Promise<void> {
    if (this.socket) return;
    this.delivery.restart();
    const { host, port } = this.config;
    const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (err) => reject(new SluiceError('SLUICE_COMPONENT_START', `syslog_udp source '${this.name}' cannot bind ${host}:${port}: ${err.message}`, { cause: err })));
      socket.bind(port, host, () => {
        socket.removeAllListeners('error');
        resolve();
      });
    });
    const receiveBuffer = parseSize(this.config.receiveBufferSize);
    if (receiveBuffer > 0) {
      socket.setRecvBufferSize(receiveBuffer);
      // The kernel caps the request at net.core.rmem_max; say what was granted.
      this.ctx.logger.info({ requested: receiveBuffer, granted: socket.getRecvBufferSize() }, 'syslog_udp receive buffer set');
    }
    socket.on('error', (err) => this.ctx.logger.error({ err }, 'syslog UDP socket error'));
    socket.on('message', (msg, rinfo) => this.receive(msg, rinfo.address));
    this.socket = socket;
    this.ctx.metrics.startTime = Date.now();
    this.ctx.logger.info({ host, port: this.port }, 'syslog_udp source listening');
  }

  async stop(): Promise<void> {
    const socket = this.socket;
    if (!socket) return;
    this.socket = undefined;
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    const timer = setTimeout(() => this.delivery.stop(), 2000);
    await this.flushNow();
    clearTimeout(timer);
    this.delivery.stop();
    this.unresolved.clear();
    this.ctx.metrics.stopTime = Date.now();
  }

  private receive(msg: Buffer, address: string): void {
    if (this.queue.length + this.delivering >= this.config.maxPending) {
      this.drop(1);
      return;
    }
    let end = msg.length;
    while (end > 0 && (msg[end - 1] === 0x0a || msg[end - 1] === 0x0d || msg[end - 1] === 0)) end--;
    if (end === 0) return;
    const incomplete = end > this.config.eventSize;
    const event = this.parser.parse(msg.subarray(0, incomplete ? this.config.eventSize : end), incomplete, address);
    const status = event.headers[SYSLOG_HEADERS.status];
    if (status === 'Invalid') this.ctx.metrics.inc('EventInvalidCount');
    else if (status === 'Incomplete') this.ctx.metrics.inc('EventIncompleteCount');
    const { clientHostnameHeader } = this.config;
    if (clientHostnameHeader !== '') {
      const name = this.resolver.peek(address);
      if (name !== undefined) {
        event.headers[clientHostnameHeader] = name;
      } else {
        this.unresolved.set(event, address);
        void this.resolver.resolve(address);
      }
    }
    this.queue.push(event);
    // Datagrams that arrive in the same turn of the event loop go out as one batch.
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
        if (this.unresolved.size > 0) await this.fillHostnames(events);
        await this.delivery.deliver(events);
      } finally {
        this.delivering = 0;
      }
    }
  }

  private async fillHostnames(events: SluiceEvent[]): Promise<void> {
    const header = this.config.clientHostnameHeader;
    for (const event of events) {
      const address = this.unresolved.get(event);
      if (address === undefined) continue;
      this.unresolved.delete(event);
      event.headers[header] = await this.resolver.resolve(address);
    }
  }

  private drop(count: number): void {
    this.ctx.metrics.inc('EventDroppedCount', count);
    if (this.ctx.telemetry.observed) {
      this.ctx.telemetry.emit('component.error', this.name, count, 0, new SluiceError('SLUICE_CHANNEL_FULL', `syslog_udp source '${this.name}': datagram dropped, ${this.config.maxPending} events already wait for the channel`));
    }
    this.droppedSinceLog += count;
    const now = Date.now();
    if (now - this.lastDropLog >= 1000) {
      this.ctx.logger.warn({ dropped: this.droppedSinceLog, maxPending: this.config.maxPending }, 'syslog UDP datagrams dropped: the channel is not keeping up');
      this.droppedSinceLog = 0;
      this.lastDropLog = now;
    }
  }
}

/** The `syslog_udp` source type: schema, Flume key translation and factory. */
export const syslogUdpSource = defineComponent<'source', SyslogUdpSourceConfig>({
  kind: 'source',
  type: 'syslog_udp',
  description: 'Syslog server over UDP: RFC 3164 and RFC 5424, one message per datagram, like Flume\'s syslogudp source.',
  guarantee: 'Best effort: UDP has no acknowledgement or backpressure. While the channel is full up to maxPending events wait; datagrams beyond that, or lost by the network or the kernel buffer, are gone (drops the source sees are counted in EventDroppedCount).',
  // Every worker process can run it (a listening socket the workers share, or a consumer group).
  capabilities: { shardable: true },
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...SYSLOG_COMMON_PROPERTIES,
      maxPending: { type: 'integer', minimum: 1, default: 10000, description: 'Most events held while the channel refuses them; datagrams beyond this are dropped and counted.' },
      receiveBufferSize: { type: 'string', pattern: SIZE_PATTERN, default: '0', description: 'Kernel receive buffer of the socket (SO_RCVBUF) for bursts, capped by net.core.rmem_max; 0 keeps the system default.' },
    },
    required: [...SYSLOG_COMMON_REQUIRED, 'maxPending', 'receiveBufferSize'],
  },
  resources: (config) => (config.port === 0 ? [] : [{ id: `udp:${config.port}`, key: 'port' }]),
  fromFlume: syslogFromFlume,
  create: (config, ctx) => new SyslogUdpSource(config, ctx),
});
