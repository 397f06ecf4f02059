import type dgram from 'node:dgram';
import type { SourceContext } from '../context.js';
import { defineComponent } from '../define.js';
import { createHeaders, type SluiceEvent } from '../event.js';
import type { EventDrivenSource } from '../source.js';
import { UdpEventServer } from '../udp/udp-event-server.js';
import { parseSize, SIZE_PATTERN } from '../units.js';

/** Config of the `netcat_udp` source. */
export interface NetcatUdpSourceConfig {
  bind: string;
  port: number;
  remoteAddressHeader: string;
  maxPending: number;
  receiveBufferSize: string;
  batchSize: number;
}

const NEWLINE = 0x0a;

/**
 * One event per UDP datagram, like Flume's NetcatUdpSource: the body is the datagram up to its
 * first newline (the rest is ignored, as in Flume), and with `remoteAddressHeader` the sender is
 * recorded as Flume writes it (`/127.0.0.1:53122`). Receiving, batching and drop counting are
 * core's {@link UdpEventServer}.
 */
export class NetcatUdpSource implements EventDrivenSource {
  readonly name: string;
  private readonly server: UdpEventServer;

  constructor(private readonly config: NetcatUdpSourceConfig, private readonly ctx: SourceContext) {
    this.name = ctx.name;
    this.server = new UdpEventServer(ctx, `netcat_udp source '${ctx.name}'`, {
      host: config.bind, port: config.port, receiveBufferSize: parseSize(config.receiveBufferSize), maxPending: config.maxPending, batchSize: config.batchSize,
      toEvents: (datagram, sender) => [this.toEvent(datagram, sender)],
    });
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    return this.server.port;
  }

  async start(): Promise<void> {
    if (this.server.port !== 0) return;
    await this.server.start();
    this.ctx.metrics.startTime = Date.now();
    this.ctx.logger.info({ bind: this.config.bind, port: this.port }, 'netcat_udp source listening');
  }

  async stop(): Promise<void> {
    await this.server.stop();
    this.ctx.metrics.stopTime = Date.now();
  }

  private toEvent(datagram: Buffer, sender: dgram.RemoteInfo): SluiceEvent {
    const newline = datagram.indexOf(NEWLINE);
    // A copy: the datagram's buffer is Node's, and the event outlives this call.
    const body = Buffer.from(newline < 0 ? datagram : datagram.subarray(0, newline));
    const headers = createHeaders();
    if (this.config.remoteAddressHeader !== '') {
      headers[this.config.remoteAddressHeader] = sender.family === 'IPv6' ? `/[${sender.address}]:${sender.port}` : `/${sender.address}:${sender.port}`;
    }
    return { headers, body };
  }
}

/** The `netcat_udp` source type (Flume's `netcatudp`): schema, Flume keys and factory. */
export const netcatUdpSource = defineComponent<'source', NetcatUdpSourceConfig>({
  kind: 'source',
  type: 'netcat_udp',
  description: 'UDP server taking one event per datagram (up to its first newline), like Flume\'s netcatudp source.',
  guarantee: 'Best effort: UDP has no acknowledgement or backpressure. While the channel is full up to maxPending events wait; datagrams beyond that, or lost by the network or the kernel buffer, are gone. EventDroppedCount counts the source\'s drops and (on Linux) the kernel\'s receive-buffer drops for its socket, which are also in KernelDroppedCount.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      bind: { type: 'string', default: '127.0.0.1', description: 'Address to listen on (Flume `bind`); 0.0.0.0 for every interface.' },
      port: { type: 'integer', minimum: 0, maximum: 65535, description: 'UDP port to listen on (0 picks a free port, logged at start).' },
      remoteAddressHeader: { type: 'string', default: '', description: 'Header to record the sender in, as /address:port (Flume `remoteAddressHeader`); empty records none.' },
      maxPending: { type: 'integer', minimum: 1, default: 10000, description: 'Most events held while the channel refuses them; datagrams beyond this are dropped and counted.' },
      receiveBufferSize: { type: 'string', pattern: SIZE_PATTERN, default: '4MiB', description: 'Kernel receive buffer of the socket (SO_RCVBUF) that absorbs bursts, capped by net.core.rmem_max; 0 keeps the system default.' },
      batchSize: { type: 'integer', minimum: 1, default: 100, description: 'Most events committed in one transaction.' },
    },
    required: ['bind', 'port', 'remoteAddressHeader', 'maxPending', 'receiveBufferSize', 'batchSize'],
  },
  resources: (config) => (config.port === 0 ? [] : [{ id: `udp:${config.port}`, key: 'port' }]),
  create: (config, ctx) => new NetcatUdpSource(config, ctx),
});
