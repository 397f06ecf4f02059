import net from 'node:net';
import tls from 'node:tls';
import { Writable, type Duplex, type Readable } from 'node:stream';
import zlib from 'node:zlib';
import avro from 'avsc';

/**
 * The test peers: avsc's own Avro IPC implementation (stateful channels with Java's Netty framing
 * and handshake), which we did not write, speaking the protocol parsed from Flume's IDL text.
 */
export const FLUME_AVDL = `
@namespace("org.apache.flume.source.avro")
protocol AvroSourceProtocol {
  enum Status { OK, FAILED, UNKNOWN }
  record AvroFlumeEvent { map<string> headers; bytes body; }
  Status append(AvroFlumeEvent event);
  Status appendBatch(array<AvroFlumeEvent> events);
}`;

export const flumeService = avro.Service.forProtocol(avro.readProtocol(FLUME_AVDL));

export interface PeerEvent {
  headers: Record<string, string>;
  body: Buffer;
}

/** An avsc AvroSourceProtocol server: records every event and answers with `answer()`. */
export interface AvscServer {
  port: number;
  events: PeerEvent[];
  calls: number;
  connections: number;
  answer: () => 'OK' | 'FAILED' | 'HANG';
  close(): Promise<void>;
}

export async function startAvscServer(options: { tls?: tls.TlsOptions; deflate?: boolean } = {}): Promise<AvscServer> {
  const server = flumeService.createServer({ silent: true } as object);
  const sockets = new Set<net.Socket>();
  const state: AvscServer = {
    port: 0, events: [], calls: 0, connections: 0, answer: () => 'OK',
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    },
  };
  server.onMessage('appendBatch', (req: { events: PeerEvent[] }, cb: (err: unknown, res?: string) => void) => {
    state.calls++;
    const answer = state.answer();
    if (answer === 'HANG') return;
    if (answer === 'OK') state.events.push(...req.events);
    cb(null, answer);
  });
  const onSocket = (socket: net.Socket): void => {
    sockets.add(socket);
    state.connections++;
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.setNoDelay(true);
    server.createChannel((options.deflate ? deflateTransport(socket) : socket) as unknown as Duplex);
  };
  const tcp = options.tls ? tls.createServer(options.tls, onSocket) : net.createServer(onSocket);
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', () => resolve()));
  state.port = (tcp.address() as net.AddressInfo).port;
  return state;
}

/** Wraps a socket in zlib both ways, flushing after every write like Netty's ZlibEncoder. */
export function deflateTransport(socket: Duplex): { readable: Readable; writable: Writable } {
  const inflate = zlib.createInflate();
  const deflate = zlib.createDeflate();
  socket.pipe(inflate);
  deflate.pipe(socket);
  inflate.on('error', () => socket.destroy());
  const writable = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      deflate.write(chunk);
      deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => callback());
    },
  });
  return { readable: inflate, writable };
}

/** An avsc AvroSourceProtocol client on one connection. */
export interface AvscClient {
  appendBatch(events: PeerEvent[]): Promise<string>;
  append(event: PeerEvent): Promise<string>;
  close(): void;
}

export async function connectAvscClient(port: number, options: { tls?: tls.ConnectionOptions; deflate?: boolean } = {}): Promise<AvscClient> {
  const socket = options.tls ? tls.connect({ port, host: '127.0.0.1', ...options.tls }) : net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once(options.tls ? 'secureConnect' : 'connect', resolve).once('error', reject));
  socket.on('error', () => undefined);
  socket.setNoDelay(true);
  const client = flumeService.createClient({ timeout: 10000 });
  client.on('error', () => undefined);
  client.createChannel((options.deflate ? deflateTransport(socket) : socket) as unknown as Duplex);
  const emit = (name: string, req: object) => new Promise<string>((resolve, reject) => {
    client.emitMessage(name, req, {}, (err: unknown, res?: string) => (err ? reject(err) : resolve(res!)));
  });
  return {
    appendBatch: (events) => emit('appendBatch', { events }),
    append: (event) => emit('append', { event }),
    close: () => {
      client.destroyChannels({ noWait: true });
      socket.destroy();
    },
  };
}
