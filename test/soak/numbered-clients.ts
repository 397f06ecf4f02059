import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { AvroRpcClient } from '@sluice/plugin-avro';

/**
 * The numbered events of one client: ids are handed out in order (`take`) and marked when the
 * source acknowledged them (`ack`). The body of event `id` is `<prefix>-<id>`, so the sink's output
 * can be matched back to it (see {@link countNumbered}).
 */
export class AckBook {
  private flags = new Uint8Array(4096);
  /** Ids handed out so far (the next id to send). */
  sent = 0;
  /** How many ids were acknowledged. */
  acked = 0;

  constructor(readonly prefix: string) {}

  take(n: number): number[] {
    const ids = Array.from({ length: n }, (_, i) => this.sent + i);
    this.sent += n;
    return ids;
  }

  ack(ids: readonly number[]): void {
    for (const id of ids) {
      if (id >= this.flags.length) {
        const grown = new Uint8Array(Math.max(this.flags.length * 2, id + 1));
        grown.set(this.flags);
        this.flags = grown;
      }
      if (this.flags[id] === 0) this.acked++;
      this.flags[id] = 1;
    }
  }

  isAcked(id: number): boolean {
    return id < this.flags.length && this.flags[id] === 1;
  }

  /** Acknowledged ids that `seen` (id -> times in the output) does not hold. */
  missing(seen: Uint32Array | undefined): number[] {
    const out: number[] = [];
    for (let id = 0; id < this.sent; id++) if (this.isAcked(id) && !(seen && id < seen.length && seen[id]! > 0)) out.push(id);
    return out;
  }
}

/** Round-trip times (send to acknowledgement) of batches, with when they completed. */
export class LatencyLog {
  readonly at: number[] = [];
  readonly ms: number[] = [];

  record(ms: number): void {
    this.at.push(Date.now());
    this.ms.push(ms);
  }

  /** The p99 of the samples completed in each `periodMs` window from `since`, in ms (null for an empty window). */
  p99ByPeriod(since: number, periodMs: number): (number | null)[] {
    const windows: number[][] = [];
    for (let i = 0; i < this.at.length; i++) {
      const w = Math.floor((this.at[i]! - since) / periodMs);
      if (w < 0) continue;
      (windows[w] ??= []).push(this.ms[i]!);
    }
    return Array.from(windows, (w) => (w ? percentile(w, 0.99) : null));
  }
}

/** The q-quantile (0..1) of `values`, nearest rank, rounded to 0.1. */
export function percentile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const value = sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
  return Math.round(value * 10) / 10;
}

/** Where and how fast a {@link PacedSender} sends. */
export interface SenderOptions {
  /** Body prefix, e.g. `nc` (bodies are `nc-0`, `nc-1`, ...). */
  prefix: string;
  port: number;
  host?: string;
  /** Events per second (the sender sleeps between batches to keep this rate, never bursts more than 1 s to catch up). */
  ratePerSec: number;
  /** Events per batch (one request, call, round of lines or connection). */
  batch: number;
  /** Where acknowledged batches' round trips go. */
  latency?: LatencyLog;
  /** Limit for one batch's acknowledgement (10 s by default). */
  timeoutMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A well-behaved client sending numbered events at a fixed rate until `stop()`, recording in
 * `book` the ids the source acknowledged. A batch that is refused, times out or loses its
 * connection is counted in `failedBatches` and not acknowledged (its events may still arrive: the
 * check is "every acknowledged event arrived", never "only those").
 */
export abstract class PacedSender {
  readonly book: AckBook;
  sentBatches = 0;
  failedBatches = 0;
  lastError: string | undefined;
  protected stopped = false;
  private loop: Promise<void> | undefined;

  constructor(protected readonly options: SenderOptions) {
    this.book = new AckBook(options.prefix);
  }

  get host(): string {
    return this.options.host ?? '127.0.0.1';
  }

  get timeoutMs(): number {
    return this.options.timeoutMs ?? 10_000;
  }

  start(): this {
    this.loop ??= this.run();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    this.close();
  }

  /** Sends one batch of bodies; resolves true when the source acknowledged all of them. */
  protected abstract sendBatch(bodies: string[]): Promise<boolean>;

  /** Releases connections. */
  protected close(): void {}

  private async run(): Promise<void> {
    const interval = (this.options.batch * 1000) / this.options.ratePerSec;
    let due = performance.now();
    while (!this.stopped) {
      const ids = this.book.take(this.options.batch);
      const started = performance.now();
      let ok = false;
      try {
        ok = await this.sendBatch(ids.map((id) => `${this.options.prefix}-${id}`));
      } catch (error) {
        this.lastError = (error as Error).message;
      }
      this.sentBatches++;
      if (ok) {
        this.book.ack(ids);
        this.options.latency?.record(performance.now() - started);
      } else {
        this.failedBatches++;
        await sleep(100);
      }
      due += interval;
      const now = performance.now();
      if (due < now - 1000) due = now - 1000;
      if (due > now) await sleep(due - now);
    }
  }
}

/** Lines to a `netcat` source over one kept connection; a batch is acknowledged by one `OK` per line. */
export class NetcatSender extends PacedSender {
  private socket: net.Socket | undefined;
  private buffered = '';
  private onLine: ((line: string) => void) | undefined;
  private onGone: (() => void) | undefined;

  protected async sendBatch(bodies: string[]): Promise<boolean> {
    const socket = await this.connection();
    return new Promise<boolean>((resolve) => {
      let waiting = bodies.length;
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        this.onLine = this.onGone = undefined;
        if (!ok) this.drop();
        resolve(ok);
      };
      const timer = setTimeout(() => {
        this.lastError = 'netcat: no OK within the timeout';
        done(false);
      }, this.timeoutMs);
      this.onLine = (line) => {
        if (line !== 'OK') {
          this.lastError = `netcat answered ${line}`;
          done(false);
        } else if (--waiting === 0) done(true);
      };
      this.onGone = () => done(false);
      socket.write(`${bodies.join('\n')}\n`);
    });
  }

  protected override close(): void {
    this.drop();
  }

  private drop(): void {
    this.socket?.destroy();
    this.socket = undefined;
    this.buffered = '';
  }

  private connection(): Promise<net.Socket> {
    if (this.socket) return Promise.resolve(this.socket);
    return new Promise((resolve, reject) => {
      const socket = net.connect(this.options.port, this.host);
      socket.setNoDelay(true);
      socket.once('error', (err) => {
        this.lastError = err.message;
        if (this.socket === socket) this.socket = undefined;
        this.onGone?.();
        reject(err);
      });
      socket.on('close', () => {
        if (this.socket === socket) this.socket = undefined;
        this.onGone?.();
      });
      socket.on('data', (chunk: Buffer) => {
        this.buffered += chunk.toString('utf8');
        let newline;
        while ((newline = this.buffered.indexOf('\n')) >= 0) {
          const line = this.buffered.slice(0, newline);
          this.buffered = this.buffered.slice(newline + 1);
          this.onLine?.(line);
        }
      });
      socket.once('connect', () => {
        this.socket = socket;
        resolve(socket);
      });
    });
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * An RFC 3164 line whose message is `body`. (As in Flume, the event body is everything after the
 * host name, so an RFC 5424 line would keep its APP-NAME, PROCID and MSGID in front of the number.)
 */
export function syslogLine(body: string): string {
  const d = new Date();
  const time = [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
  return `<14>${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${time} soak-host ${body}`;
}

/**
 * RFC 3164 messages to a `syslog_tcp` source, one connection per batch: connect, write the batch,
 * close our side, and count it acknowledged when the connection then closes without an error (the
 * most syslog over TCP can tell: sent and not reset).
 */
export class SyslogTcpSender extends PacedSender {
  private readonly open = new Set<net.Socket>();

  protected sendBatch(bodies: string[]): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      let failed = false;
      const socket = net.connect(this.options.port, this.host);
      this.open.add(socket);
      const timer = setTimeout(() => {
        failed = true;
        this.lastError = 'syslog_tcp: connection not closed within the timeout';
        socket.destroy();
      }, this.timeoutMs);
      socket.on('error', (err) => {
        failed = true;
        this.lastError = err.message;
      });
      socket.on('close', () => {
        clearTimeout(timer);
        this.open.delete(socket);
        resolve(!failed);
      });
      socket.once('connect', () => socket.end(bodies.map((b) => `${syslogLine(b)}\n`).join('')));
      socket.resume();
    });
  }

  protected override close(): void {
    for (const socket of this.open) socket.destroy();
  }
}

/** RFC 3164 datagrams to a `syslog_udp` source: best effort, nothing is ever acknowledged. */
export class SyslogUdpSender extends PacedSender {
  private readonly socket = dgram.createSocket('udp4');

  protected async sendBatch(bodies: string[]): Promise<boolean> {
    for (const body of bodies) {
      await new Promise<void>((resolve) => this.socket.send(syslogLine(body), this.options.port, this.host, () => resolve()));
    }
    // Sent is all UDP can say; the soak reports what arrived without counting it as loss.
    return false;
  }

  protected override close(): void {
    this.socket.close();
  }
}

/** Flume JSON arrays POSTed to an `http` source over keep-alive connections; acknowledged by 200. */
export class HttpSender extends PacedSender {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  protected sendBatch(bodies: string[]): Promise<boolean> {
    const payload = JSON.stringify(bodies.map((body) => ({ headers: {}, body })));
    return new Promise<boolean>((resolve) => {
      const req = http.request({
        host: this.host, port: this.options.port, method: 'POST', path: '/', agent: this.agent, timeout: this.timeoutMs,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== 200) this.lastError = `http answered ${res.statusCode}`;
          resolve(res.statusCode === 200);
        });
        res.on('error', () => resolve(false));
      });
      req.on('timeout', () => req.destroy(new Error('http: no answer within the timeout')));
      req.on('error', (err) => {
        this.lastError = err.message;
        resolve(false);
      });
      req.end(payload);
    });
  }

  protected override close(): void {
    this.agent.destroy();
  }
}

/** appendBatch calls to an `avro` source (the plugin's own RPC client); acknowledged by status OK. */
export class AvroSender extends PacedSender {
  private client: AvroRpcClient | undefined;

  protected async sendBatch(bodies: string[]): Promise<boolean> {
    try {
      this.client ??= await AvroRpcClient.connect({ host: this.host, port: this.options.port, connectTimeoutMs: this.timeoutMs, requestTimeoutMs: this.timeoutMs });
      const status = await this.client.appendBatch(bodies.map((body) => ({ headers: {}, body: Buffer.from(body) })));
      if (status !== 'OK') this.lastError = `avro answered ${status}`;
      return status === 'OK';
    } catch (error) {
      this.lastError = (error as Error).message;
      this.close();
      return false;
    }
  }

  protected override close(): void {
    this.client?.close();
    this.client = undefined;
  }
}

/** Which sender speaks to which source type. */
export const SENDERS = {
  netcat: NetcatSender,
  syslog_tcp: SyslogTcpSender,
  syslog_udp: SyslogUdpSender,
  http: HttpSender,
  avro: AvroSender,
} as const;
