import dgram from 'node:dgram';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { benchAgent, sourceToNull, sourcePort } from '../run-until-drained.js';
import { result, trackPeakRss, type BenchResult, sinkMetrics } from '../result.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 300_000);
const LINE = 200;
/** Datagrams sent per turn of the sender's loop, then it yields: a steady stream, not one burst. */
const BURST = Number(process.env.BENCH_UDP_BURST ?? 256);
/** How long after the last datagram the receivers get to drain before counting. */
const SETTLE_MS = 500;

/** The same 200-byte RFC 3164 datagram for both receivers: syslog_udp parses it, netcat_udp keeps it as the body. */
function datagram(): Buffer {
  const head = '<134>Nov 26 07:49:31 benchhost app[4242]: udp datagram ';
  return Buffer.from(head.padEnd(LINE, 'x'));
}

if (!isMainThread && (workerData as { udpBenchSender?: unknown } | null)?.udpBenchSender) {
  const { port, events } = (workerData as { udpBenchSender: { port: number; events: number } }).udpBenchSender;
  const socket = dgram.createSocket('udp4');
  const message = datagram();
  let sent = 0;
  socket.connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  await new Promise<void>((resolve) => {
    const turn = (): void => {
      const end = Math.min(events, sent + BURST);
      // Fire and forget: libuv sends at once when the socket is writable; only the last send is awaited.
      for (; sent < end - 1; sent++) socket.send(message);
      sent++;
      socket.send(message, () => (sent >= events ? resolve() : setImmediate(turn)));
    };
    turn();
  });
  socket.close();
  parentPort!.postMessage('done');
}

/** Sends `events` datagrams from a worker thread; resolves with the seconds it took. */
async function send(port: number, events: number): Promise<number> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { udpBenchSender: { port, events } } });
  const t0 = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await worker.terminate();
  return seconds;
}

interface Received { received: number; seconds: number; eventsPerSec: number; deliveredFraction: number }

function received(count: number, seconds: number): Received {
  return { received: count, seconds: Math.round(seconds * 1000) / 1000, eventsPerSec: Math.round(count / seconds), deliveredFraction: Math.round((count / EVENTS) * 10000) / 10000 };
}

/** The ceiling: a bare dgram socket in this process that only counts what arrives, with the same receive buffer. */
async function bareSocket(): Promise<Received> {
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
  let count = 0;
  socket.on('message', () => { count++; });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const seconds = await send(socket.address().port, EVENTS);
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  socket.close();
  return received(count, seconds);
}

/** A `type` source (netcat_udp or syslog_udp) -> memory -> null agent fed the same datagrams. */
async function sluiceSource(type: string): Promise<Received> {
  const { agent } = await benchAgent(sourceToNull(`{ type: ${type}, ${type === 'netcat_udp' ? 'bind' : 'host'}: 127.0.0.1, port: 0, receiveBufferSize: 4MiB }`, '10s'));
  await agent.start();
  try {
    const port = sourcePort(agent);
    const sink = sinkMetrics(agent, 'out');
    const seconds = await send(port, EVENTS);
    let last = -1;
    // Counted once the sink stops moving: UDP drops are expected, waiting for EVENTS would hang.
    while (sink.get('EventDrainSuccessCount') !== last) {
      last = sink.get('EventDrainSuccessCount');
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    }
    return received(last, seconds);
  } finally {
    await agent.stop(1000);
  }
}

/**
 * UDP sources: EVENTS 200-byte datagrams from a sender thread in bursts of BURST into netcat_udp
 * and syslog_udp (-> memory -> null), and into a bare dgram socket that only counts (the ceiling),
 * all in the same run. Prints received events/s, the fraction delivered, and each source's ratio
 * to the bare socket; UDP has no backpressure, so a receiver slower than the sender shows as loss.
 */
export async function run(): Promise<BenchResult> {
  const rss = trackPeakRss();
  const bare = await bareSocket();
  const netcat = await sluiceSource('netcat_udp');
  const syslog = await sluiceSource('syslog_udp');
  const peak = rss.stop();
  const ratio = (a: Received): number => Math.round((a.received / bare.received) * 100) / 100;
  return result('udp', netcat.received, netcat.received * LINE, BigInt(Math.round(netcat.seconds * 1e9)), peak, {
    datagramBytes: LINE, sent: EVENTS, burst: BURST,
    bareSocket: bare, netcatUdp: netcat, syslogUdp: syslog,
    netcatUdpToBare: ratio(netcat), syslogUdpToBare: ratio(syslog),
    note: 'sender on a worker thread of the bench process; ratios compare datagrams received against the bare socket under the same sender',
  });
}
