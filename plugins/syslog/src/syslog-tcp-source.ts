import net from 'node:net';
import tls from 'node:tls';
import {
  durationOption, listenTcp, LogThrottle, parseDuration, RetryingDelivery, type Amount, defineComponent, loadServerTls, reloadServerTls, serverTlsProblems, serverTlsSchema, throwConfigProblems, SluiceError, type EventDrivenSource, type ServerTlsConfig, type TcpListening, type TlsReloadable, type TlsReloadOutcome, type SluiceEvent, type SourceContext,
} from '@sluice/core';

const SERVER_TLS_SCHEMA = serverTlsSchema('TLS (RFC 5425 for syslog): PEM files for the server certificate and key, and optionally a CA to check client certificates.');
import { HostnameResolver } from './hostname-resolver.js';
import { SyslogFramer, FramingError } from './syslog-framer.js';
import { SyslogParser, SYSLOG_HEADERS } from './syslog-parser.js';
import { SYSLOG_COMMON_PROPERTIES, SYSLOG_COMMON_REQUIRED, syslogFromFlume, type SyslogCommonConfig } from './syslog-schema.js';

/** Config of the `syslog_tcp` source. */
export interface SyslogTcpSourceConfig extends SyslogCommonConfig {
  ports: number[];
  portHeader: string;
  maxConnections: number;
  idleTimeout: Amount;
  frameTimeout: Amount;
  tls: ServerTlsConfig;
}

/**
 * A syslog server over TCP (optionally TLS, RFC 5425), like Flume's syslogtcp source. Each
 * connection's framing (newline or RFC 6587 octet counting) is detected from its first byte;
 * RFC 3164 and RFC 5424 are detected per message. It can listen on several ports at once
 * (`ports`, Flume's multiport_syslogtcp), naming the port in `portHeader`.
 *
 * Backpressure: the messages of one read are delivered as one batch (sliced to `batchSize`)
 * while that socket is paused; reading resumes only after the commit. When the channel is full
 * the batch is retried with backoff and the socket stays paused, so the sender is slowed by TCP
 * itself and nothing is buffered beyond one read per connection.
 */
export class SyslogTcpSource implements EventDrivenSource, TlsReloadable {
  readonly name: string;
  private servers: net.Server[] = [];
  private listenings: TcpListening[] = [];
  private readonly sockets = new Set<net.Socket>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly delivery: RetryingDelivery;
  private readonly resolver = new HostnameResolver();
  /** One line per 10 s per kind of misbehaving client, with a count: clients cannot flood the log. */
  private readonly tlsRefused: LogThrottle;
  private readonly framingBroken: LogThrottle;
  private readonly tooMany: LogThrottle;
  private readonly frameTooSlow: LogThrottle;

  constructor(private readonly config: SyslogTcpSourceConfig, private readonly ctx: SourceContext) {
    this.name = ctx.name;
    this.tlsRefused = new LogThrottle(ctx.logger, 'warn', 'syslog TLS client refused (handshake failed or no valid client certificate)');
    this.framingBroken = new LogThrottle(ctx.logger, 'warn', 'syslog client broke octet-counting framing; closing its connection after delivering what it sent before');
    this.tooMany = new LogThrottle(ctx.logger, 'warn', 'syslog client refused: maxConnections reached');
    this.frameTooSlow = new LogThrottle(ctx.logger, 'warn', 'syslog client announced an octet-counted frame that did not arrive whole within frameTimeout; closing its connection after delivering what it sent before');
    throwConfigProblems(serverTlsProblems(config.tls), `syslog_tcp source '${ctx.name}'`);
    this.delivery = new RetryingDelivery(ctx, config.batchSize);
    ctx.metrics.gauge('OpenConnectionCount', () => this.sockets.size);
    // Listed in /metrics from the start, not only once something happened.
    for (const counter of ['EventInvalidCount', 'EventIncompleteCount', 'EventDroppedCount', 'ConnectionAcceptedCount', 'ConnectionRejectedCount', 'TlsHandshakeFailCount']) ctx.metrics.inc(counter, 0);
  }

  /** The bound port of `port` (useful with port 0). */
  get port(): number {
    return this.boundPorts[0] ?? 0;
  }

  /** Every bound port: `port`, then `ports`. */
  get boundPorts(): number[] {
    return this.listenings.map((listening) => listening.port);
  }

  async start(): Promise<void> {
    if (this.servers.length > 0) return;
    this.delivery.restart();
    const { config } = this;
    const tlsOptions = config.tls.enabled ? await loadServerTls(config.tls, `syslog_tcp source '${this.name}'`) : undefined;
    const servers: net.Server[] = [];
    const listenings: TcpListening[] = [];
    try {
      for (const port of [config.port, ...config.ports]) {
        const server = this.createServer(tlsOptions);
        listenings.push(await listenTcp(server, port, config.host).catch((err: Error) => {
          throw new SluiceError('SLUICE_COMPONENT_START', `syslog_tcp source '${this.name}' cannot listen on ${config.host}:${port}: ${err.message}`, { cause: err });
        }));
        server.on('error', (err) => this.ctx.logger.error({ err }, 'syslog server error'));
        servers.push(server);
      }
    } catch (error) {
      await Promise.all(listenings.map((listening) => listening.close()));
      throw error;
    }
    this.servers = servers;
    this.listenings = listenings;
    this.ctx.metrics.startTime = Date.now();
    this.ctx.logger.info({ host: config.host, port: this.port, ports: this.boundPorts, tls: config.tls.enabled }, 'syslog_tcp source listening');
  }

  private createServer(tlsOptions: tls.TlsOptions | undefined): net.Server {
    let server: net.Server;
    if (tlsOptions) {
      server = tls.createServer(tlsOptions, (socket) => this.accept(socket));
      server.on('tlsClientError', (err) => {
        this.ctx.metrics.inc('TlsHandshakeFailCount');
        this.ctx.telemetry.emit('component.error', this.name, 0, 0, new SluiceError('SLUICE_PROTOCOL', `syslog_tcp source '${this.name}': TLS client refused: ${err.message}`, { cause: err }));
        this.tlsRefused.log({ err: err.message });
      });
    } else {
      server = net.createServer((socket) => this.accept(socket));
    }
    return server;
  }

  /** Re-reads tls.cert, key and ca for new connections on every port (SIGHUP); a bad file keeps the old ones. */
  reloadTls(): Promise<TlsReloadOutcome> {
    return reloadServerTls(this.config.tls.enabled ? this.servers as tls.Server[] : [], () => loadServerTls(this.config.tls, `syslog_tcp source '${this.name}'`), this.ctx.logger, `syslog_tcp source '${this.name}'`);
  }

  async stop(): Promise<void> {
    const { servers, listenings } = this;
    if (servers.length === 0) return;
    this.servers = [];
    this.listenings = [];
    const closed = Promise.all(listenings.map((listening) => listening.close()));
    // Read nothing more; give batches in flight a chance to commit, then stop retrying refused ones.
    for (const socket of this.sockets) socket.pause();
    const settle = Promise.allSettled([...this.inFlight]);
    const timer = setTimeout(() => this.delivery.stop(), 2000);
    await settle;
    clearTimeout(timer);
    this.delivery.stop();
    for (const socket of this.sockets) socket.destroy();
    await closed;
    for (const warning of [this.tlsRefused, this.framingBroken, this.tooMany, this.frameTooSlow]) warning.flush();
    this.ctx.metrics.stopTime = Date.now();
  }

  private accept(socket: net.Socket): void {
    // One limit over every port (each port's server would count only its own connections).
    if (this.sockets.size >= this.config.maxConnections) {
      this.ctx.metrics.inc('ConnectionRejectedCount');
      this.tooMany.log({ remote: socket.remoteAddress, maxConnections: this.config.maxConnections });
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    this.ctx.metrics.inc('ConnectionAcceptedCount');
    const idleMs = parseDuration(this.config.idleTimeout, 's');
    if (idleMs > 0) {
      socket.setTimeout(idleMs, () => {
        // A socket paused for backpressure waits on us, not on the client; the timer fires once
        // per quiet spell, so look again later.
        if (socket.isPaused()) {
          socket.setTimeout(idleMs);
          return;
        }
        this.ctx.logger.debug({ remote: socket.remoteAddress, idleTimeout: this.config.idleTimeout }, 'syslog client idle; closing its connection');
        socket.destroy();
      });
    }
    const framer = new SyslogFramer(this.config.eventSize);
    const parser = new SyslogParser(this.config);
    const clientIP = this.config.clientIPHeader === '' ? '' : socket.remoteAddress ?? '';
    const { portHeader, clientHostnameHeader } = this.config;
    const hostname = clientHostnameHeader === '' ? undefined : this.resolver.resolve(socket.remoteAddress ?? '');
    const localPort = String(socket.localPort ?? '');
    let chain = Promise.resolve();
    let invalid = 0;
    let incompleteCount = 0;
    let batch: SluiceEvent[] = [];
    let broken = false;
    const onFrame = (data: Buffer, start: number, end: number, incomplete: boolean): void => {
      const event = parser.parseRange(data, start, end, incomplete, clientIP);
      const status = event.headers[SYSLOG_HEADERS.status];
      if (status === 'Invalid') invalid++;
      else if (status === 'Incomplete') incompleteCount++;
      if (portHeader !== '') event.headers[portHeader] = localPort;
      batch.push(event);
    };
    const handOff = (): void => {
      this.countStatuses(invalid, incompleteCount);
      invalid = 0;
      incompleteCount = 0;
      if (batch.length === 0) return;
      const events = batch;
      batch = [];
      socket.pause();
      const work = chain.then(async () => {
        if (hostname) {
          const name = await hostname;
          for (let i = 0; i < events.length; i++) events[i]!.headers[clientHostnameHeader] = name;
        }
        await this.delivery.deliver(events);
      }).finally(() => {
        this.inFlight.delete(work);
        if (!socket.destroyed && this.servers.length > 0) socket.resume();
      });
      this.inFlight.add(work);
      chain = work;
    };
    /** Stops reading a client that broke the framing: what it sent before is delivered, then the connection closes. */
    const breakOff = (message: string, warning: LogThrottle, cause?: unknown): void => {
      broken = true;
      clearTimeout(frameTimer);
      this.ctx.metrics.inc('EventReadFail');
      this.ctx.telemetry.emit('component.error', this.name, 0, 0, new SluiceError('SLUICE_PROTOCOL', `syslog_tcp source '${this.name}': ${message} from ${socket.remoteAddress}; the connection was closed`, { cause }));
      socket.pause();
      warning.log({ err: message, remote: socket.remoteAddress });
      handOff();
      void chain.finally(() => socket.destroy());
    };
    // An octet-counted frame announces its length: one that never arrives whole would hold its
    // bytes and the connection forever (idleTimeout does not fire while a byte trickles in now and then).
    const frameMs = parseDuration(this.config.frameTimeout, 's');
    let frameTimer: NodeJS.Timeout | undefined;
    const onFrameTimeout = (): void => {
      frameTimer = undefined;
      if (broken || socket.destroyed) return;
      // A socket paused for backpressure waits on us, not on the client.
      if (socket.isPaused()) {
        frameTimer = setTimeout(onFrameTimeout, frameMs);
        return;
      }
      breakOff(`an octet-counted frame did not arrive whole within frameTimeout (${this.config.frameTimeout})`, this.frameTooSlow);
    };
    /** Times the frame in progress: from its first bytes, restarted when a read completed frames (a new one started). */
    const watchFrame = (progressed: boolean): void => {
      if (frameTimer !== undefined && (progressed || !framer.midFrame)) {
        clearTimeout(frameTimer);
        frameTimer = undefined;
      }
      if (frameTimer === undefined && frameMs > 0 && framer.framing === 'octet-counting' && framer.midFrame) frameTimer = setTimeout(onFrameTimeout, frameMs);
    };
    socket.on('data', (chunk: Buffer) => {
      if (broken) return;
      const before = batch.length;
      try {
        framer.pushRanges(chunk, onFrame);
      } catch (error) {
        if (!(error instanceof FramingError)) throw error;
        breakOff(error.message, this.framingBroken, error);
        return;
      }
      watchFrame(batch.length > before);
      handOff();
    });
    socket.on('end', () => {
      clearTimeout(frameTimer);
      if (!broken) framer.endRanges(onFrame);
      handOff();
      void chain.finally(() => socket.end());
    });
    socket.on('error', (err) => {
      this.ctx.logger.debug({ err }, 'syslog client connection error');
      this.ctx.telemetry.emit('component.error', this.name, 0, 0, new SluiceError('SLUICE_PROTOCOL', `syslog_tcp source '${this.name}': connection from ${socket.remoteAddress} failed: ${err.message}`, { cause: err, retriable: true }));
    });
    socket.on('close', () => {
      clearTimeout(frameTimer);
      this.sockets.delete(socket);
    });
  }

  private countStatuses(invalid: number, incomplete: number): void {
    if (invalid > 0) this.ctx.metrics.inc('EventInvalidCount', invalid);
    if (incomplete > 0) this.ctx.metrics.inc('EventIncompleteCount', incomplete);
  }
}

/** The `syslog_tcp` source type: schema, Flume key translation and factory. */
export const syslogTcpSource = defineComponent<'source', SyslogTcpSourceConfig>({
  kind: 'source',
  type: 'syslog_tcp',
  description: 'Syslog server over TCP or TLS: RFC 3164 and RFC 5424, newline or octet-counted framing (RFC 6587), like Flume\'s syslogtcp source.',
  guarantee: 'No acknowledgement exists in syslog, so the guarantee ends at TCP: a message read from the socket is committed before the next read, and a full channel pauses the socket instead of dropping. Messages in flight when the sender or agent dies may be lost.',
  // Every worker process can run it (a listening socket the workers share, or a consumer group).
  capabilities: { shardable: true },
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...SYSLOG_COMMON_PROPERTIES,
      ports: { type: 'array', items: { type: 'integer', minimum: 0, maximum: 65535 }, default: [], description: 'More ports to listen on besides `port` (Flume multiport_syslogtcp `ports`).' },
      portHeader: { type: 'string', default: '', description: 'Header that receives the local port a message arrived on; empty for none (Flume portHeader).' },
      maxConnections: { type: 'integer', minimum: 1, default: 1000, description: 'Most client connections at once, over all ports; further ones are closed at once.' },
      idleTimeout: durationOption('How long a connection may send nothing before it is closed (a half-sent message does not hold it open); 0 never closes it.', '10m', 's'),
      frameTimeout: durationOption('How long an octet-counted frame (RFC 6587), once started, may take to arrive whole before the connection is closed, so a sender that announces a length and never completes it cannot hold the connection and its bytes; what it sent before is still delivered. Newline framing has no announced length and is bounded by eventSize and idleTimeout. 0: no limit.', '30s', 's'),
      tls: SERVER_TLS_SCHEMA,
    },
    required: [...SYSLOG_COMMON_REQUIRED, 'ports', 'portHeader', 'maxConnections', 'idleTimeout', 'frameTimeout', 'tls'],
  },
  resources: (config) => [config.port, ...config.ports].filter((port) => port !== 0).map((port) => ({ id: `tcp:${port}`, key: 'port' })),
  check: (config) => serverTlsProblems(config.tls),
  fromFlume: syslogFromFlume,
  create: (config, ctx) => new SyslogTcpSource(config, ctx),
});
