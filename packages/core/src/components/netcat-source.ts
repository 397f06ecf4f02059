import net from 'node:net';
import type { SourceContext } from '../context.js';
import { defineComponent } from '../define.js';
import { errorCode } from '../errors.js';
import { createHeaders, type SluiceEvent } from '../event.js';
import type { EventDrivenSource } from '../source.js';
import { listenTcp, type TcpListening } from '../net/tcp-listen.js';
import { durationOption, parseDuration, type Amount } from '../units.js';
import { NETCAT_ENCODINGS, NetcatLineReader, type NetcatEncoding } from './netcat-line-reader.js';

/** Config of the `netcat` source. */
export interface NetcatSourceConfig {
  bind: string;
  port: number;
  maxConnections: number;
  idleTimeout: Amount;
  maxLineLength: number;
  encoding: NetcatEncoding;
  ackEveryEvent: boolean;
  batchSize: number;
}

/** `text` in the connection's encoding (answers go back in it, as Flume's Writer does). */
function encodeAnswer(text: string, encoding: NetcatEncoding): Buffer {
  const name = encoding.toLowerCase();
  if (name === 'utf-16le') return Buffer.from(text, 'utf16le');
  if (name === 'utf-16be') return Buffer.from(text, 'utf16le').swap16();
  return Buffer.from(text, name === 'iso-8859-1' || name === 'latin1' ? 'latin1' : 'utf8');
}

/**
 * A TCP server taking one event per line, like Flume's netcat source. Lines that arrive in one
 * read are delivered as one batch; reading from that connection pauses until the batch is
 * committed, so a slow channel pushes back on the client through TCP. Each line is answered
 * `OK` once committed, or `FAILED: <reason>` when the channel refused it (the client must resend).
 * As in Flume, a line longer than `maxLineLength` characters (newline included) is not delivered:
 * the lines before it are, then the client is answered `FAILED: Event exceeds the maximum length
 * (N chars, including newline)` and the connection is closed. Text is read in `encoding` and
 * delivered as UTF-8; answers are written in `encoding`.
 */
export class NetcatSource implements EventDrivenSource {
  readonly name: string;
  private server: net.Server | undefined;
  private listening: TcpListening | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly ok: Buffer;

  constructor(private readonly config: NetcatSourceConfig, private readonly ctx: SourceContext) {
    this.name = ctx.name;
    this.ok = encodeAnswer('OK\n', config.encoding);
    ctx.metrics.gauge('OpenConnectionCount', () => this.sockets.size);
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    return this.listening?.port ?? 0;
  }

  async start(): Promise<void> {
    if (this.server) return;
    // Half-open: a client that sends its lines and closes its side at once (nc -N) still gets an
    // answer for every line; the source ends the connection once they are written.
    const server = net.createServer({ allowHalfOpen: true }, (socket) => this.accept(socket));
    server.maxConnections = this.config.maxConnections;
    this.listening = await listenTcp(server, this.config.port, this.config.bind);
    server.on('error', (err) => this.ctx.logger.error({ err }, 'netcat server error'));
    this.server = server;
    this.ctx.metrics.startTime = Date.now();
    this.ctx.logger.info({ bind: this.config.bind, port: this.port }, 'netcat source listening');
  }

  async stop(): Promise<void> {
    const { server, listening } = this;
    if (!server || !listening) return;
    this.server = undefined;
    this.listening = undefined;
    const closed = listening.close();
    await Promise.allSettled([...this.inFlight]);
    for (const socket of this.sockets) socket.end();
    for (const socket of this.sockets) socket.destroy();
    await closed;
    this.ctx.metrics.stopTime = Date.now();
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    const idleMs = parseDuration(this.config.idleTimeout, 'ms');
    // Set while reading waits for the client to read its answers (not for a channel commit).
    let awaitingDrain = false;
    if (idleMs > 0) {
      socket.setTimeout(idleMs, () => {
        // A connection paused on a commit waits on us; one paused because its client has not read
        // its answers for idleTimeout is as idle as one that sends nothing, and holds a connection.
        if (socket.isPaused() && !awaitingDrain) {
          socket.setTimeout(idleMs); // the timer fires once per quiet spell: look again later
          return;
        }
        this.ctx.logger.debug({ idleTimeout: this.config.idleTimeout, unreadAnswers: awaitingDrain }, 'netcat client idle; closing its connection');
        socket.destroy();
      });
    }
    const reader = new NetcatLineReader(this.config.maxLineLength, this.config.encoding);
    let chain = Promise.resolve();
    const handle = (lines: Buffer[]): void => {
      if (lines.length === 0) return;
      socket.pause();
      const work = chain.then(() => this.deliverInBatches(socket, lines)).finally(() => {
        this.inFlight.delete(work);
        if (socket.destroyed) return;
        // A client that does not read its answers is not read either: answers never pile up.
        if (socket.writableNeedDrain) {
          awaitingDrain = true;
          socket.once('drain', () => {
            awaitingDrain = false;
            socket.resume();
          });
        } else {
          socket.resume();
        }
      });
      this.inFlight.add(work);
      chain = work;
    };
    let failed = false;
    socket.on('data', (chunk: Buffer) => {
      if (failed) return;
      const { lines, overlong } = reader.push(chunk);
      handle(lines);
      if (!overlong) return;
      failed = true;
      this.ctx.metrics.inc('EventReadFail');
      this.ctx.logger.warn({ maxLineLength: this.config.maxLineLength }, 'netcat client sent a line longer than maxLineLength; answered FAILED and closed the connection');
      const answer = encodeAnswer(`FAILED: Event exceeds the maximum length (${this.config.maxLineLength} chars, including newline)\n`, this.config.encoding);
      void chain.finally(() => {
        if (!socket.destroyed && socket.writable) socket.end(answer);
      });
    });
    socket.on('end', () => {
      if (failed) return;
      const rest = reader.flush();
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
    const events: SluiceEvent[] = lines.map((body) => ({ headers: createHeaders(), body }));
    let reply: Buffer | undefined;
    try {
      await this.ctx.deliver(events);
      if (this.config.ackEveryEvent) reply = lines.length === 1 ? this.ok : Buffer.alloc(this.ok.length * lines.length, this.ok);
    } catch (error) {
      const reason = errorCode(error) ?? (error as Error).message;
      this.ctx.logger.debug({ err: error, lines: lines.length }, 'netcat batch refused; client told FAILED');
      reply = encodeAnswer(`FAILED: ${reason}\n`.repeat(lines.length), this.config.encoding);
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
      maxConnections: { type: 'integer', minimum: 1, default: 1000, description: 'Most client connections at once; further ones are closed at once.' },
      idleTimeout: durationOption('How long a connection may send nothing (while no answer is pending), or leave its answers unread, before it is closed; 0 never closes it.', '5m', 'ms'),
      maxLineLength: { type: 'integer', minimum: 1, default: 512, description: 'Longest line in characters, the newline included (Flume `max-line-length`). A longer line is not delivered: the client is answered `FAILED: Event exceeds the maximum length (N chars, including newline)` and the connection is closed (counted in EventReadFail).' },
      encoding: { type: 'string', enum: [...NETCAT_ENCODINGS], default: 'UTF-8', description: 'Character set of the incoming text and of the OK/FAILED answers (Flume `encoding`); event bodies are always UTF-8, as in Flume.' },
      ackEveryEvent: { type: 'boolean', default: true, description: 'Answer OK for every committed line.' },
      batchSize: { type: 'integer', minimum: 1, default: 100, description: 'Most lines committed in one transaction; a larger burst is split. At most the channels\' transactionCapacity.' },
    },
    required: ['bind', 'port', 'maxConnections', 'idleTimeout', 'maxLineLength', 'encoding', 'ackEveryEvent', 'batchSize'],
  },
  resources: (config) => (config.port === 0 ? [] : [{ id: `tcp:${config.port}`, key: 'port' }]),
  // Flume's NetcatSource commits one event per transaction.
  flumeDefaults: { batchSize: 1 },
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
