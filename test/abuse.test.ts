import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { expect } from 'chai';
import { AgentProcess, TempDir } from './helpers/agent-process.js';
import { countNumbered } from './soak/count-numbered.js';
import {
  avroCallFrame, avroHandshakeFrame, closedAfter, emptyEventsBody, garbage, garbageDatagrams, post, rawHttp, sleep, writeWithoutReading,
} from './soak/hostile-clients.js';
import { AvroSender, HttpSender, NetcatSender, percentile, SyslogTcpSender, SyslogUdpSender, type PacedSender } from './soak/numbered-clients.js';
import { ProcessProbe, procStatusMb } from './soak/process-probe.js';

const MiB = 1024 * 1024;
/** idleTimeout of netcat, syslog_tcp and avro in the topology below. */
const IDLE_MS = 1000;
/** The avro source's maxPendingBytes and the partial frame each hostile connection holds. */
const AVRO_PENDING = 2 * MiB;
const AVRO_PARTIAL = 256 * 1024;

function topology(dir: string): string {
  return `
plugins: ['@sluice/plugin-syslog', '@sluice/plugin-http', '@sluice/plugin-avro']
monitoring:
  http: { port: 0, host: 127.0.0.1 }
agents:
  edge:
    sources:
      nc: { type: netcat, port: 0, channels: [disk], idleTimeout: 1s }
      # Clients whose attack is not about idleness (never reading answers, half-close) use a netcat source
      # with the default idleTimeout (5m): on a busy machine this test process can be slower than 1 s to
      # write after connecting, and the 1 s idleTimeout of nc would rightly close it first.
      nc_patient: { type: netcat, port: 0, channels: [disk] }
      st: { type: syslog_tcp, port: 0, channels: [disk], idleTimeout: 1s }
      # syslog has no acknowledgement: its well-behaved client counts "sent, then closed by the source
      # after our FIN, without a reset". A 1 s idleTimeout could close the connection of a client this busy
      # test process was slow to write on, and the close would look like that; so it sends here.
      st_patient: { type: syslog_tcp, port: 0, channels: [disk] }
      su: { type: syslog_udp, port: 0, channels: [disk] }
      ht: { type: http, port: 0, channels: [disk], headersTimeout: 1s, requestTimeout: 5s, keepAliveTimeout: 1s }
      av: { type: avro, port: 0, channels: [disk], idleTimeout: 1s, frameTimeout: 3s }
      # Partial frames from many connections: a 2 MiB budget, no idle timer, a frameTimeout far beyond the budget's drops.
      av_budget: { type: avro, port: 0, channels: [disk], idleTimeout: '0', frameTimeout: 10s, maxPendingBytes: 2MiB }
    channels:
      disk: { type: file, dataDir: '${path.join(dir, 'data')}', minFreeSpace: '0' }
    sinks:
      out: { type: file_roll, channel: disk, directory: '${path.join(dir, 'out')}', rollInterval: '0', batchSize: 1000 }
`;
}

describe('abuse: one live sluice agent (netcat, syslog_tcp, syslog_udp, http, avro on a file channel) under hostile clients while well-behaved ones send numbered events @slow', function () {
  this.timeout(300_000); // the non-reading netcat client alone may take up to 2 minutes on a slow machine
  const dir = new TempDir();
  let agent: AgentProcess | undefined;
  let probe: ProcessProbe | undefined;
  const senders: PacedSender[] = [];
  after(async () => {
    probe?.stop();
    await Promise.all(senders.map((s) => s.stop().catch(() => undefined)));
    await agent?.kill();
    dir.cleanup();
  });

  it('answers every attack as documented, keeps /health fast and memory bounded, and loses no acknowledged event', async () => {
    const file = dir.write('abuse.yaml', topology(dir.path));
    agent = AgentProcess.start(file, 'edge', { logLevel: process.env.ABUSE_LOG_LEVEL ?? 'info' });
    const monitoring = (await agent.waitForLog((l) => l.msg === 'monitoring listening', 30_000)).port as number;
    await agent.started();
    const [nc, st, su, ht, av, ncPatient, avBudget, stPatient] = await Promise.all(['nc', 'st', 'su', 'ht', 'av', 'nc_patient', 'av_budget', 'st_patient'].map((name) => agent!.portOf(name)));
    const pid = agent.child.pid!;
    // Built before anything is timed: allocating 16 MiB takes this test process a while on a busy machine.
    const bomb = emptyEventsBody(16 * MiB);
    const tiny = emptyEventsBody(3_000_004);
    probe = new ProcessProbe(() => pid, { monitoringPort: monitoring, rssEveryMs: 200, healthEveryMs: 100 }).start();

    senders.push(
      new NetcatSender({ prefix: 'nc', port: nc!, ratePerSec: 200, batch: 10 }).start(),
      new SyslogTcpSender({ prefix: 'st', port: stPatient!, ratePerSec: 200, batch: 20 }).start(),
      new SyslogUdpSender({ prefix: 'su', port: su!, ratePerSec: 50, batch: 5 }).start(),
      new HttpSender({ prefix: 'ht', port: ht!, ratePerSec: 200, batch: 20 }).start(),
      new AvroSender({ prefix: 'av', port: av!, ratePerSec: 200, batch: 20 }).start(),
    );
    await sleep(1000);
    const findings: Record<string, unknown> = {};
    /** When each attack started and ended, for the log file (ABUSE_LOG_FILE) next to the /health samples. */
    const marks: { mark: string; t: number }[] = [];
    const mark = (name: string): void => void marks.push({ mark: name, t: Date.now() });
    const timed = async (name: string, attack: () => Promise<void>): Promise<void> => {
      mark(`${name} start`);
      try {
        await attack();
      } finally {
        mark(`${name} end`);
      }
    };
    // Each /health answer must come within 100 ms. On a machine already running more than twice as
    // many runnable threads as it has cores (shared CI), an idle agent misses that by itself (measured:
    // 172 ms worst at load 9 on 2 cores) and any one probe can wait on the scheduler for a second or
    // more; there the bounds are the p99 under 1 s and every answer under 5 s (what a stalled event
    // loop breaks: a 16 MiB body once held it for 3-4 s), and the output line says so.
    const load = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
    const overloaded = load > 2 * os.cpus().length;
    const healthBoundMs = overloaded ? 5000 : 100;

    // JSON amplification first, alone: six 16 MiB bodies of empty events at once, then 1,000,000 tiny events in 3 MB.
    const amplification = await timed('amplification', async () => {
      const amplified = await Promise.all(Array.from({ length: 6 }, () => rawHttp(ht!, post(bomb))));
      findings.amplification = amplified.map((a) => `${a.status} in ${Math.round(a.ms)} ms`);
      for (const answer of amplified) {
        // 413 once counted; 503 (with Retry-After) for the requests that would pass maxPendingBytes (64MiB) first.
        expect([413, 503], `${answer.head}\n${answer.body}`).to.include(answer.status);
        if (answer.status === 503) expect(answer.head).to.match(/retry-after: 1/i);
      }
      expect(amplified.filter((a) => a.status === 413).length, 'most of the six are counted and refused').to.be.at.least(3);
      const million = await rawHttp(ht!, post(tiny));
      findings.millionEvents = `${million.status} in ${Math.round(million.ms)} ms`;
      expect(million.status, million.body).to.equal(413);
      expect(million.body).to.contain('TOO_MANY_EVENTS');
    }).then(() => undefined, (error: unknown) => `amplification: ${(error as Error).message}`);
    const attacks: Record<string, Promise<void>> = {
      // An avro client pipelining calls without reading a single answer: the source stops reading it.
      avroPipelining: timed('avroPipelining', async () => {
        const result = await writeWithoutReading(av!, avroHandshakeFrame(), (i) => avroCallFrame(i + 1, `pipe-${i}`), { limitMs: 20_000, stallMs: 2000 });
        findings.avroPipelining = result;
        // Stalled: the source stopped reading it; closed: and then its idleTimeout (1 s) ran out.
        expect(result.stalled || result.closed, 'the agent stopped reading the avro client that reads nothing').to.equal(true);
        expect(result.writtenBytes).to.be.below(64 * MiB);
      }),
      // The same with netcat lines. The source stops reading once its answers no longer fit in the
      // kernel's buffers: the agent's send buffer grows to tcp_wmem's maximum (4 MiB on Linux), about
      // 1.4 million unread OKs, so about 28-32 MiB of these 20-byte lines go in first (measured 28.3-31.7 MiB).
      // That takes the agent 15-25 s on a busy 2-core machine, so the client writes until the socket
      // stalls or took 64 MiB, not for a fixed time (a 20 s limit failed a CI run at 28.6 MB, and let
      // a 2 s hiccup of a slow agent pass as the stop). A stall counts after 5 s without a drain.
      netcatNoRead: timed('netcatNoRead', async () => {
        const line = Buffer.from('no-read-client-line\n'.repeat(50));
        const result = await writeWithoutReading(ncPatient!, Buffer.alloc(0), () => line, { limitMs: 120_000, stallMs: 5000, maxBytes: 64 * MiB });
        findings.netcatNoRead = result;
        expect(result.stalled, `the agent stopped reading the netcat client that reads nothing (${(result.writtenBytes / MiB).toFixed(1)} MiB taken in ${result.ms} ms)`).to.equal(true);
        expect(result.writtenBytes).to.be.below(64 * MiB);
      }),
      // Slowloris: 300 connections, idle or half-sent, are closed once idle for idleTimeout.
      slowloris: timed('slowloris', async () => {
        const partial: Record<string, (s: net.Socket) => void> = {
          nc: (s) => s.write('a line without its newline'),
          st: (s) => s.write('<14>Dec  2 07:00:00 host a message without its newline'),
          av: (s) => s.write(Buffer.concat([avroHandshakeFrame().subarray(0, 20)])),
        };
        const ports: Record<string, number> = { nc: nc!, st: st!, av: av! };
        const started = performance.now();
        const closes = await Promise.all(Array.from({ length: 300 }, (_, i) => {
          const target = ['nc', 'st', 'av'][i % 3]!;
          return closedAfter(ports[target]!, i % 2 === 0 ? () => undefined : partial[target]!, 20_000);
        }));
        const open = closes.filter((c) => c === undefined).length;
        const earliest: Record<string, number> = {};
        for (const [i, c] of closes.entries()) {
          const key = `${['nc', 'st', 'av'][i % 3]}-${i % 2 === 0 ? 'idle' : 'partial'}`;
          earliest[key] = Math.round(Math.min(earliest[key] ?? Infinity, c ?? Infinity));
        }
        findings.slowloris = { connections: 300, stillOpen: open, earliestCloseMs: earliest, lastCloseMs: Math.round(performance.now() - started) };
        expect(open, 'slowloris connections left open').to.equal(0);
        for (const [key, ms] of Object.entries(earliest)) expect(ms, `${key}: no connection closed before it was idle`).to.be.at.least(IDLE_MS * 0.9);
      }),
      // A Content-Length that is never reached: 408 after requestTimeout; an endless chunked body: 413 at maxBodySize.
      httpSlowBody: timed('httpSlowBody', async () => {
        const short = await rawHttp(ht!, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n[{"body":"', { timeoutMs: 15_000 });
        findings.contentLengthNeverReached = `${short.status} in ${Math.round(short.ms)} ms`;
        expect(short.status, short.head).to.equal(408);
        const chunk = Buffer.from(`${(64 * 1024).toString(16)}\r\n${'x'.repeat(64 * 1024)}\r\n`);
        let sent = 0;
        const endless = await rawHttp(ht!, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n', {
          timeoutMs: 30_000, keepSending: () => (sent++ < 10_000 ? chunk : undefined),
        });
        findings.endlessChunked = `${endless.status} after ${Math.round((sent * chunk.length) / MiB)} MiB sent, in ${Math.round(endless.ms)} ms`;
        expect(endless.status, endless.head).to.equal(413);
      }),
      // netcat half-close: five lines and FIN at once get their five OKs.
      netcatHalfClose: timed('netcatHalfClose', async () => {
        let answer = '';
        const closedIn = await closedAfter(ncPatient!, (socket) => {
          socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
          socket.end('half-1\nhalf-2\nhalf-3\nhalf-4\nhalf-5\n');
        }, 60_000); // behind the non-reading clients' floods in the same file channel, on a busy machine
        findings.netcatHalfClose = answer.split('\n').filter(Boolean);
        expect(closedIn).to.not.equal(undefined);
        expect(answer).to.equal('OK\nOK\nOK\nOK\nOK\n');
      }),
    };
    const outcomes = await Promise.allSettled(Object.values(attacks));
    // Second wave, once the first is over: the avro partial frames would starve the slowloris
    // connections of the avro budget, and garbage on netcat would count among the idle closes.
    const secondWave: Record<string, Promise<void>> = {
      // Partial avro frames from 40 connections, each sending 256 KiB of a 1 MiB frame and then
      // nothing: past maxPendingBytes (2 MiB) the source drops connections at once; at most
      // 2 MiB / 256 KiB of them wait for frameTimeout (10 s).
      avroPartialFrames: timed('avroPartialFrames', async () => {
        const header = Buffer.alloc(12);
        header.writeInt32BE(7, 0);
        header.writeInt32BE(1, 4);
        header.writeInt32BE(MiB, 8);
        const closes = await Promise.all(Array.from({ length: 40 }, () => closedAfter(avBudget!, (socket) => {
          socket.write(Buffer.concat([avroHandshakeFrame(), header, Buffer.alloc(AVRO_PARTIAL)]));
        }, 30_000)));
        const early = closes.filter((c) => c !== undefined && c < 5000).length;
        findings.avroPartialFrames = { connections: 40, droppedWithin5s: early, closeMs: closes.map((c) => (c === undefined ? 'open' : Math.round(c))).sort() };
        expect(closes.filter((c) => c === undefined), 'every partial-frame connection is closed').to.deep.equal([]);
        expect(early, 'connections dropped at once for maxPendingBytes (before frameTimeout)').to.be.at.least(40 - AVRO_PENDING / AVRO_PARTIAL);
      }),
      // Random bytes on every port; malformed request targets (400) and an unknown charset (415).
      garbage: timed('garbage', async () => {
        const results = await Promise.all([nc!, st!, ht!, av!, monitoring].map((port) => garbage(port, 64 * 1024, 15_000)));
        await garbageDatagrams(su!, 200);
        findings.garbage = results.map((r) => (r.closed ? 'closed' : 'open'));
        for (const [i, r] of results.entries()) expect(r.closed, `port ${i} closed the garbage connection`).to.equal(true);
        // Node's parser answers 400 to bytes it cannot parse; bytes it still waits on end in 408 (headersTimeout).
        expect(results[2]!.answer, 'http answers garbage with 400 or 408').to.match(/^HTTP\/1\.1 40[08]/);
        const targets = ['/%%%', '/?a=%zz', 'http://[::1/', '/a\x01b', '*'];
        const answers = await Promise.all(targets.map((target) => rawHttp(ht!, `POST ${target} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]`)));
        findings.malformedUrls = Object.fromEntries(targets.map((t, i) => [JSON.stringify(t), answers[i]!.status]));
        for (const [i, answer] of answers.entries()) expect(answer.status, `target ${JSON.stringify(targets[i])}: ${answer.head}`).to.equal(400);
        const charset = await rawHttp(ht!, post(Buffer.from('[{"body":"x"}]'), { 'Content-Type': 'application/json; charset=klingon' }));
        findings.badCharset = charset.status;
        expect(charset.status, charset.body).to.equal(415);
      }),
    };
    const secondOutcomes = await Promise.allSettled(Object.values(secondWave));
    const failed = [...(amplification ? [amplification] : []), ...outcomes.flatMap((o, i) => (o.status === 'rejected' ? [`${Object.keys(attacks)[i]}: ${(o.reason as Error).message}`] : [])),
      ...secondOutcomes.flatMap((o, i) => (o.status === 'rejected' ? [`${Object.keys(secondWave)[i]}: ${(o.reason as Error).message}`] : []))];

    await sleep(500);
    await Promise.all(senders.map((s) => s.stop()));
    const health = await fetch(`http://127.0.0.1:${monitoring}/health`);
    expect(health.status).to.equal(200);
    const hwm = procStatusMb(pid, 'VmHWM') ?? 0;
    probe.stop();
    // Every acknowledged numbered event reaches the sink (the file channel keeps them across the attacks).
    const out = path.join(dir.path, 'out');
    const prefixes = ['nc', 'st', 'ht', 'av'];
    const tracked = senders.filter((s) => prefixes.includes(s.book.prefix));
    let missing: Record<string, number[]> = {};
    for (let waited = 0; waited <= 30_000; waited += 500) {
      const counts = countNumbered(out, prefixes);
      missing = Object.fromEntries(tracked.map((s) => [s.book.prefix, s.book.missing(counts.get(s.book.prefix))]));
      if (Object.values(missing).every((m) => m.length === 0)) break;
      await sleep(500);
    }
    const stopped = await agent.stop();
    if (process.env.ABUSE_LOG_FILE) writeFileSync(process.env.ABUSE_LOG_FILE, [...agent.logs, ...probe.health.map((h) => ({ probe: 'health', ...h })), ...marks].map((l) => JSON.stringify(l)).join('\n'));
    const worstHealth = probe.worstHealthMs;
    const slow = probe.health.filter((h) => h.ms >= healthBoundMs || h.status !== 200);
    const p99Health = percentile(probe.health.map((h) => h.ms), 0.99);
    console.log(`      abuse: peak RSS ${hwm.toFixed(1)} MB (VmHWM; sampled VmRSS peak ${probe.peakRssMb.toFixed(1)} MB), worst /health ${worstHealth.toFixed(1)} ms over ${probe.health.length} probes (p99 ${p99Health} ms, ${probe.health.filter((h) => h.ms >= 100).length} at 100 ms or more; ${overloaded ? `overloaded machine (load ${load} on ${os.cpus().length} cores): bounds p99 < 1000 ms, each < 5000 ms` : 'bound: each < 100 ms'}), acknowledged ${tracked.map((s) => `${s.book.prefix} ${s.book.acked}`).join(', ')}; ${JSON.stringify(findings)}`);

    expect(failed, 'attacks not answered as documented').to.deep.equal([]);
    expect(stopped).to.deep.equal({ code: 0, signal: null });
    for (const sender of tracked) expect(sender.book.acked, `${sender.book.prefix} acknowledged events`).to.be.greaterThan(0);
    expect(Object.fromEntries(Object.entries(missing).map(([p, m]) => [p, m.slice(0, 10)])), 'acknowledged events missing at the sink').to.deep.equal({ nc: [], st: [], ht: [], av: [] });
    expect(hwm, 'peak RSS (MB)').to.be.below(256);
    expect(probe.health.length, 'health probes').to.be.greaterThan(50);
    expect(slow.map((h) => `${Math.round(h.ms)} ms ${h.status}`), `/health answers slower than ${healthBoundMs} ms or not 200`).to.deep.equal([]);
    if (overloaded) expect(p99Health, '/health p99 (ms) on an overloaded machine').to.be.below(1000);
  });
});
