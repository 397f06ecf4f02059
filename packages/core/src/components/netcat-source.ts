import net from 'node:net';
import type { SourceContext } from '../context.js';
import { defineComponent } from '../define.js';
import { errorCode } from '../errors.js';
import type { SluiceEvent } from '../event.js';
import type { EventDrivenSource } from '../source.js';
import { LineSplitter } from './line-splitter.js';

/** Config of the `netcat` source. */
export interface NetcatSourceConfig {
  bind: string;
  port: number;
  maxLineLength: number;
  ackEveryEvent: boolean;
  batchSize: number;
}

const OK = Buffer.from('OK\n');

/**
 * A TCP server taking one event per line, like Flume's netcat source. Lines that arrive in one
 * read are delivered as one batch; reading from that connection pauses until the batch is
 * committed, so a slow channel pushes back on the client through TCP. Each line is answered
 * `OK` once committed, or `FAILED: <reason>` when the channel refused it (the client must resend).
 */
export class NetcatSource implements EventDrivenSource {
  readonly name: string;
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly config: NetcatSourceConfig, private readonly ctx: SourceContext) {
    this.name = ctx.name;
    ctx.metrics.gauge('OpenConnectionCount', () => this.sockets.size);
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    return (this.server?.address() as net.AddressInfo | null)?.port ?? 0;
  }

  async start(): Promise<void> {
    if (this.server) return;
    // allowHalfOpen: a client that shuts down its side after the last line (`nc -N`) still gets the
    // OK of every line; `accept` ends the socket itself once the last commit was answered.
    const server = net.createServer({ allowHalfOpen: true }, (socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.port, this.config.bind, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.ctx.logger.error({ err }, 'netcat server error'));
    this.server = server;
    this.ctx.metrics.startTime = Date.now();
    this.ctx.logger.info({ bind: this.config.bind, port: this.port }, 'netcat source listening');
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    await Promise.allSettled([...this.inFlight]);
    for (const socket of this.sockets) socket.end();
    for (const socket of this.sockets) socket.destroy();
    await closed;
    this.ctx.metrics.stopTime = Date.now();
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    const splitter = new LineSplitter(this.config.maxLineLength);
    let chain = Promise.resolve();
    const handle = (lines: Buffer[]): void => {
      if (lines.length === 0) return;
      socket.pause();
      const work = chain.then(() => this.deliverInBatches(socket, lines)).finally(() => {
        this.inFlight.delete(work);
        if (!socket.destroyed) socket.resume();
      });
      this.inFlight.add(work);
      chain = work;
    };
    socket.on('data', (chunk: Buffer) => {
      const { lines, truncated } = splitter.push(chunk);
      if (truncated > 0) {
        this.ctx.metrics.inc('EventTruncatedCount', truncated);
        this.ctx.logger.warn({ truncated, maxLineLength: this.config.maxLineLength }, 'lines longer than maxLineLength were cut');
      }
      handle(lines);
    });
    socket.on('end', () => {
      const rest = splitter.flush();
      if (rest) handle([rest]);
      void chain.finally(() => socket.end());
    });
    socket.on('error', (err) => this.ctx.logger.debug({ err }, 'netcat client connection error'));
    socket.on('close', () => this.sockets.delete(socket));
  }

  /** One read may hold more lines than a transaction takes: deliver them batchSize at a time, in order. */
  private async deliverInBatches(socket: net.Socket, lines: Buffer[]): Promise<void> {
    const size = this.config.batchSize;
    if (lines.length <= size) return this.deliver(socket, lines);
    for (let i = 0; i < lines.length; i += size) await this.deliver(socket, lines.slice(i, i + size));
  }

  private async deliver(socket: net.Socket, lines: Buffer[]): Promise<void> {
    const events: SluiceEvent[] = lines.map((body) => ({ headers: {}, body: Buffer.from(body) }));
    let reply: Buffer | undefined;
    try {
      await this.ctx.deliver(events);
      if (this.config.ackEveryEvent) reply = lines.length === 1 ? OK : Buffer.alloc(OK.length * lines.length, OK);
    } catch (error) {
      const reason = errorCode(error) ?? (error as Error).message;
      this.ctx.logger.debug({ err: error, lines: lines.length }, 'netcat batch refused; client told FAILED');
      reply = Buffer.from(`FAILED: ${reason}\n`.repeat(lines.length));
    }
    if (reply && !socket.destroyed && socket.writable) socket.write(reply);
  }
}

export const netcatSource = defineComponent<'source', NetcatSourceConfig>({
  kind: 'source',
  type: 'netcat',
  description: 'TCP server taking one event per line; answers OK or FAILED per line, like Flume\'s netcat source.',
  guarantee: 'At-least-once for clients that resend on FAILED: OK is sent only after the line was committed to every required channel.',
  // Every worker process can run it (a listening socket the workers share, or a consumer group).
  capabilities: { shardable: true },
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      bind: { type: 'string', default: '127.0.0.1', description: 'Address to listen on.' },
      port: { type: 'integer', minimum: 0, maximum: 65535, description: 'TCP port to listen on (0 picks a free port).' },
      maxLineLength: { type: 'integer', minimum: 1, default: 512, description: 'Longest line in bytes; longer lines are cut and the rest discarded (counted as EventTruncatedCount).' },
      ackEveryEvent: { type: 'boolean', default: true, description: 'Answer OK for every committed line.' },
      batchSize: { type: 'integer', minimum: 1, default: 100, description: 'Most lines committed in one transaction; a larger burst is split. At most the channels\' transactionCapacity.' },
    },
    required: ['bind', 'port', 'maxLineLength', 'ackEveryEvent', 'batchSize'],
  },
  resources: (config) => (config.port === 0 ? [] : [{ id: `tcp:${config.port}`, key: 'port' }]),
  fromFlume(properties) {
    const config: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(properties)) {
      if (key === 'max-line-length') config.maxLineLength = value;
      else if (key === 'ack-every-event') config.ackEveryEvent = value;
      else config[key] = value;
    }
    return config;
  },
  create: (config, ctx) => new NetcatSource(config, ctx),
});
