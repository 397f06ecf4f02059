import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { AvroWriter, encodeAppendBatchCall, encodeNettyFrame, PROTOCOL_HASH, PROTOCOL_JSON, writeHandshakeRequest } from '@sluice/plugin-avro';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** An HTTP answer read off a raw socket: status, headers text, body, and how long it took from the first byte sent. */
export interface RawAnswer { status: number; head: string; body: string; ms: number; closedByServer: boolean }

/**
 * Sends `request` (bytes, sent in `chunkBytes` pieces while the server reads them) on a new
 * connection and resolves with the first HTTP answer, or with status 0 when the server closed
 * without one. Gives up after `timeoutMs` (status -1).
 */
export function rawHttp(port: number, request: Buffer | string | Buffer[], options: { timeoutMs?: number; keepSending?: () => Buffer | undefined } = {}): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = net.connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = (status: number, closedByServer: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const text = received.toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      resolve({ status, head: split >= 0 ? text.slice(0, split) : text, body: split >= 0 ? text.slice(split + 4) : '', ms: performance.now() - started, closedByServer });
      socket.destroy();
    };
    const timer = setTimeout(() => finish(-1, false), options.timeoutMs ?? 20_000);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const text = received.toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      if (split < 0) return;
      const length = Number(/content-length:\s*(\d+)/i.exec(text.slice(0, split))?.[1] ?? 0);
      if (received.length >= split + 4 + length) finish(Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0), false);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const text = received.toString('latin1');
      finish(Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0), true);
    });
    socket.once('connect', () => {
      for (const part of Array.isArray(request) ? request : [request]) socket.write(part);
      const more = options.keepSending;
      if (!more) return;
      const pump = (): void => {
        while (!settled && !socket.destroyed) {
          const next = more();
          if (next === undefined) return;
          if (!socket.write(next)) {
            socket.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
  });
}

/** A Flume JSON body `[{},{},...,{}]` of exactly `bytes` bytes (at least 4; spaces pad it). */
export function emptyEventsBody(bytes: number): Buffer {
  const n = Math.floor((bytes - 4) / 3);
  const body = Buffer.alloc(bytes, ' ');
  body[0] = 0x5b; // [
  body.fill('{},', 1, 1 + 3 * n);
  body.write('{}]', bytes - 3, 'latin1');
  return body;
}

/** A POST of `body` to the http source as raw bytes: the head, then the body (not copied). */
export function post(body: Buffer, headers: Record<string, string> = {}): Buffer[] {
  const head = Object.entries({ 'Content-Type': 'application/json', 'Content-Length': String(body.length), ...headers }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return [Buffer.from(`POST / HTTP/1.1\r\nHost: localhost\r\n${head}\r\n`), body];
}

/** The first frame of an Avro RPC client: a handshake ping declaring AvroSourceProtocol. */
export function avroHandshakeFrame(): Buffer {
  const ping = writeHandshakeRequest(new AvroWriter(PROTOCOL_JSON.length + 64), { clientHash: PROTOCOL_HASH, clientProtocol: PROTOCOL_JSON, serverHash: PROTOCOL_HASH, meta: null }).long(0).string('').finish();
  return encodeNettyFrame(0, [ping]);
}

/** An appendBatch call frame carrying one event whose body is `body`. */
export function avroCallFrame(serial: number, body: string): Buffer {
  return encodeNettyFrame(serial, [encodeAppendBatchCall([{ headers: {}, body: Buffer.from(body) }])]);
}

/** What a client that writes and never reads saw. */
export interface StallResult {
  /** Bytes the socket took (handed to the kernel) before it stalled or the time ran out. */
  writtenBytes: number;
  /** True when writing stalled: nothing drained for `stallMs` (the server stopped reading). */
  stalled: boolean;
  /** True when the server closed the connection. */
  closed: boolean;
  /** When it ended, in ms after the connection was asked for. */
  ms: number;
}

/**
 * Opens a connection, pauses reading (answers pile up in the kernel), and writes what `next`
 * produces as fast as the socket takes it, until the socket took `maxBytes` (when given) or for at
 * most `limitMs`. Stalled means a write was refused and no 'drain' came for `stallMs`: the server
 * stopped reading this client.
 */
export function writeWithoutReading(port: number, first: Buffer, next: (i: number) => Buffer, options: { limitMs: number; stallMs: number; maxBytes?: number }): Promise<StallResult> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = net.connect(port, '127.0.0.1');
    socket.pause();
    let written = 0;
    let closed = false;
    let done = false;
    let stallTimer: NodeJS.Timeout | undefined;
    const finish = (stalled: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(limit);
      clearTimeout(stallTimer);
      // Bytes node still buffers were never taken by the socket.
      resolve({ writtenBytes: written - socket.writableLength, stalled, closed, ms: Math.round(performance.now() - started) });
      socket.destroy();
    };
    const limit = setTimeout(() => finish(false), options.limitMs);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      finish(false);
    });
    let i = 0;
    const pump = (): void => {
      clearTimeout(stallTimer);
      while (!done) {
        if (options.maxBytes !== undefined && written - socket.writableLength >= options.maxBytes) {
          finish(false);
          return;
        }
        const chunk = next(i++);
        written += chunk.length;
        if (!socket.write(chunk)) {
          stallTimer = setTimeout(() => finish(true), options.stallMs);
          socket.once('drain', pump);
          return;
        }
      }
    };
    socket.once('connect', () => {
      written += first.length;
      socket.write(first);
      pump();
    });
  });
}

/** When a connection opened with `send` was closed by the server, in ms after it connected (undefined: still open at `timeoutMs`). */
export function closedAfter(port: number, send: (socket: net.Socket) => void, timeoutMs: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    // Timed from before connecting: a test process slow to see 'connect' makes it longer, never shorter.
    const opened = performance.now();
    const socket = net.connect(port, '127.0.0.1');
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(undefined);
    }, timeoutMs);
    socket.on('error', () => undefined);
    socket.on('end', () => socket.end());
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(performance.now() - opened);
    });
    socket.resume();
    socket.once('connect', () => send(socket));
  });
}

/** Writes `bytes` random bytes on a new connection and resolves when the server closed it or `timeoutMs` passed (true: closed). */
export async function garbage(port: number, bytes: number, timeoutMs: number): Promise<{ closed: boolean; answer: string }> {
  let answer = '';
  const closedIn = await closedAfter(port, (socket) => {
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.end(randomBytes(bytes));
  }, timeoutMs);
  return { closed: closedIn !== undefined, answer };
}

/** Sends `count` random datagrams of up to 1 KiB to a UDP port. */
export async function garbageDatagrams(port: number, count: number): Promise<void> {
  const socket = dgram.createSocket('udp4');
  for (let i = 0; i < count; i++) {
    await new Promise<void>((resolve) => socket.send(randomBytes(1 + (i * 37) % 1024), port, '127.0.0.1', () => resolve()));
  }
  socket.close();
}

export { sleep };
