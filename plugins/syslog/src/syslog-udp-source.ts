import { defineComponent, parseSize, SIZE_PATTERN, UdpEventServer, type EventDrivenSource, type SluiceEvent, type SourceContext } from '@sluice/core';
import { HostnameResolver } from './hostname-resolver.js';
import { SyslogParser, SYSLOG_HEADERS } from './syslog-parser.js';
import { SYSLOG_COMMON_PROPERTIES, SYSLOG_COMMON_REQUIRED, syslogFromFlume, type SyslogCommonConfig } from './syslog-schema.js';

/** Config of the `syslog_udp` source. */
export interface SyslogUdpSourceConfig extends SyslogCommonConfig {
  maxPending: number;
  receiveBufferSize: string;
}

/**
 * A syslog server over UDP, like Flume's syslogudp source: one datagram is one message (a
 * trailing newline is removed), RFC 3164 or RFC 5424 detected per message; an over-long datagram
 * is cut at eventSize and its rest follows as further (Invalid) events.
 *
 * UDP cannot push back: receiving, queueing up to `maxPending`, batching, drop counting
 * (`EventDroppedCount`) and the kernel's receive-buffer drops (`KernelDroppedCount`, Linux) are
 * core's {@link UdpEventServer}. The receive buffer defaults to 4 MiB (`receiveBufferSize`),
 * capped by the kernel at net.core.rmem_max.
 */
export class SyslogUdpSource implements EventDrivenSource {
  readonly name: string;
  private readonly parser: SyslogParser;
  private readonly server: UdpEventServer;
  private readonly resolver = new HostnameResolver();
  /** Sender addresses of queued events whose host name was not cached yet. */
  private readonly unresolved = new Map<SluiceEvent, string>();

  constructor(private readonly config: SyslogUdpSourceConfig, private readonly ctx: SourceContext) {
    this.name = ctx.name;
    this.parser = new SyslogParser(config);
    this.server = new UdpEventServer(ctx, `syslog_udp source '${ctx.name}'`, {
      host: config.host, port: config.port, receiveBufferSize: parseSize(config.receiveBufferSize), maxPending: config.maxPending, batchSize: config.batchSize,
      toEvents: (msg, sender) => this.toEvents(msg, sender.address),
      beforeDeliver: (events) => this.fillHostnames(events),
    });
    // Listed in /metrics from the start, not only once something happened.
    for (const counter of ['EventInvalidCount', 'EventIncompleteCount']) ctx.metrics.inc(counter, 0);
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    return this.server.port;
  }

  async start(): Promise<void> {
    if (this.server.port !== 0) return;
    await this.server.start();
    this.ctx.metrics.startTime = Date.now();
    this.ctx.logger.info({ host: this.config.host, port: this.port }, 'syslog_udp source listening');
  }

  async stop(): Promise<void> {
    await this.server.stop();
    this.unresolved.clear();
    this.ctx.metrics.stopTime = Date.now();
  }

  private toEvents(msg: Buffer, address: string): SluiceEvent[] {
    let end = msg.length;
    while (end > 0 && (msg[end - 1] === 0x0a || msg[end - 1] === 0x0d || msg[end - 1] === 0)) end--;
    const { eventSize } = this.config;
    const events: SluiceEvent[] = [];
    // An over-long datagram is cut at eventSize (one Incomplete message); its rest follows as
    // further events, not incomplete messages of their own (Invalid when they have no <PRI>).
    for (let start = 0; start < end; start += eventSize) {
      const stop = Math.min(end, start + eventSize);
      events.push(this.prepare(this.parser.parseRange(msg, start, stop, start === 0 && stop < end, address), address));
    }
    return events;
  }

  private prepare(event: SluiceEvent, address: string): SluiceEvent {
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
    return event;
  }

  private async fillHostnames(events: SluiceEvent[]): Promise<void> {
    if (this.unresolved.size === 0) return;
    const header = this.config.clientHostnameHeader;
    for (const event of events) {
      const address = this.unresolved.get(event);
      if (address === undefined) continue;
      this.unresolved.delete(event);
      event.headers[header] = await this.resolver.resolve(address);
    }
  }
}

/** The `syslog_udp` source type: schema, Flume key translation and factory. */
export const syslogUdpSource = defineComponent<'source', SyslogUdpSourceConfig>({
  kind: 'source',
  type: 'syslog_udp',
  description: 'Syslog server over UDP: RFC 3164 and RFC 5424, one message per datagram, like Flume\'s syslogudp source.',
  guarantee: 'Best effort: UDP has no acknowledgement or backpressure. While the channel is full up to maxPending events wait; datagrams beyond that, or lost by the network or the kernel buffer, are gone. EventDroppedCount counts the source\'s drops and (on Linux) the kernel\'s receive-buffer drops for its socket, which are also in KernelDroppedCount.',
  // Every worker process can run it (a listening socket the workers share, or a consumer group).
  capabilities: { shardable: true },
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...SYSLOG_COMMON_PROPERTIES,
      maxPending: { type: 'integer', minimum: 1, default: 10000, description: 'Most events held while the channel refuses them; datagrams beyond this are dropped and counted.' },
      receiveBufferSize: { type: 'string', pattern: SIZE_PATTERN, default: '4MiB', description: 'Kernel receive buffer of the socket (SO_RCVBUF) that absorbs bursts; the kernel caps it at net.core.rmem_max (raise that sysctl for more) and logs what it granted; 0 keeps the system default (net.core.rmem_default, often 208 KiB). Datagrams the kernel drops when it is full are counted in KernelDroppedCount (Linux).' },
    },
    required: [...SYSLOG_COMMON_REQUIRED, 'maxPending', 'receiveBufferSize'],
  },
  resources: (config) => (config.port === 0 ? [] : [{ id: `udp:${config.port}`, key: 'port' }]),
  fromFlume: syslogFromFlume,
  create: (config, ctx) => new SyslogUdpSource(config, ctx),
});
