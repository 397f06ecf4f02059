import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { SluiceEvent, Source } from '@sluice/core';
import { collectEvents, eventually, sourceSuite, takeAll, requirePeers } from '@sluice/testkit';
import { syslogTcpSource, syslogUdpSource, type SyslogTcpSource, type SyslogUdpSource } from '../src/index.js';
import { logger, startTcp, startUdp, TCP_DEFAULTS, UDP_DEFAULTS, type Running } from './helpers.js';

const HOST = os.hostname();

function expectHeaders(event: SluiceEvent, rfc: '3164' | '5424'): void {
  // user.notice (logger's default priority) is facility 1, severity 5.
  expect(event.headers).to.include({ Facility: '1', Severity: '5', appName: 'sluicetest' });
  expect(event.headers).to.not.have.property('flume.syslog.status');
  expect(Math.abs(Number(event.headers.timestamp) - Date.now()), 'timestamp close to now').to.be.below(120000);
  if (rfc === '5424') {
    expect(event.headers.host).to.equal(HOST);
    expect(event.headers.procId).to.match(/^\d+$/);
    expect(event.headers.msgId).to.equal('M42');
    expect(event.headers.structuredData).to.include('[origin@32473 sw="sluice"]');
  } else {
    expect(event.headers.host).to.equal(HOST.split('.')[0]);
  }
}

describe('syslog sources with util-linux logger', () => {
  before(function () { requirePeers(this, 'logger'); });
  let running: Running<SyslogTcpSource | SyslogUdpSource> | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  const rfc5424 = ['--rfc5424', '--msgid', 'M42', '--sd-id', 'origin@32473', '--sd-param', 'sw="sluice"'];
  const cases: { name: string; transport: 'tcp' | 'udp'; rfc: '3164' | '5424'; args: string[] }[] = [
    { name: 'RFC 3164 over UDP', transport: 'udp', rfc: '3164', args: ['-d', '--rfc3164'] },
    { name: 'RFC 5424 over UDP', transport: 'udp', rfc: '5424', args: ['-d', ...rfc5424] },
    { name: 'RFC 3164 over TCP (newline framing)', transport: 'tcp', rfc: '3164', args: ['-T', '--rfc3164'] },
    { name: 'RFC 5424 over TCP (newline framing)', transport: 'tcp', rfc: '5424', args: ['-T', ...rfc5424] },
    { name: 'RFC 3164 over TCP with --octet-count', transport: 'tcp', rfc: '3164', args: ['-T', '--octet-count', '--rfc3164'] },
    { name: 'RFC 5424 over TCP with --octet-count', transport: 'tcp', rfc: '5424', args: ['-T', '--octet-count', ...rfc5424] },
  ];
  for (const c of cases) {
    it(`receives ${c.name} with the right headers and body`, async () => {
      running = c.transport === 'tcp' ? await startTcp() : await startUdp();
      const port = running.source.port;
      const lines = Array.from({ length: 20 }, (_, i) => `message ${i} über ${c.name}`);
      await logger(['-n', '127.0.0.1', '-P', String(port), '-t', 'sluicetest', '-i', ...c.args], `${lines.join('\n')}\n`);
      const events = await collectEvents(running.harness, lines.length);
      // RFC 5424 bodies are everything after the host name (Flume's rule): APP PROCID MSGID SD MSG.
      const prefix = c.rfc === '5424' ? /^sluicetest \d+ M42 \[timeQuality [^\]]*\]\[origin@32473 sw="sluice"\] / : /^sluicetest\[\d+\]: /;
      expect(events.map((e) => e.body.toString('utf8').replace(prefix, ''))).to.have.members(lines);
      for (const event of events) expectHeaders(event, c.rfc);
    });
  }

  it('listens on several ports and names the port in portHeader (Flume multiport_syslogtcp)', async () => {
    running = await startTcp({ ports: [0], portHeader: 'port' });
    const [first, second] = (running.source as SyslogTcpSource).boundPorts;
    expect(second).to.be.a('number').and.not.equal(first);
    await logger(['-n', '127.0.0.1', '-P', String(first), '-T', '--rfc3164', '-t', 'sluicetest', 'to first']);
    await logger(['-n', '127.0.0.1', '-P', String(second), '-T', '--rfc3164', '-t', 'sluicetest', 'to second']);
    const events = await collectEvents(running.harness, 2);
    expect(events.map((e) => [e.headers.port, e.body.toString()])).to.have.deep.members([[String(first), 'sluicetest: to first'], [String(second), 'sluicetest: to second']]);
  });

  it('translates Flume syslog keys: keepFields true/false and multiport ports', () => {
    expect(syslogTcpSource.fromFlume!({ ports: '10001 10002 10003', portHeader: 'p', keepFields: 'true', 'clientIPHeader': 'ip' }))
      .to.deep.equal({ port: 10001, ports: [10002, 10003], portHeader: 'p', keepFields: 'all', clientIPHeader: 'ip' });
    expect(syslogTcpSource.fromFlume!({ port: '5140', keepFields: 'false' })).to.deep.equal({ port: '5140', keepFields: 'none' });
  });

  it('sets clientIPHeader and keeps the raw line with keepFields all', async () => {
    running = await startTcp({ clientIPHeader: 'clientIP', keepFields: 'all' });
    await logger(['-n', '127.0.0.1', '-P', String(running.source.port), '-T', '--rfc3164', '-t', 'sluicetest', 'raw line']);
    const [event] = await collectEvents(running.harness, 1);
    expect(event!.headers.clientIP).to.equal('127.0.0.1');
    expect(event!.body.toString()).to.match(/^<13>\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ sluicetest: raw line$/);
  });

  it('sets clientHostnameHeader from a reverse lookup, over TCP and UDP', async () => {
    for (const transport of ['tcp', 'udp'] as const) {
      running = transport === 'tcp' ? await startTcp({ clientHostnameHeader: 'clientHost' }) : await startUdp({ clientHostnameHeader: 'clientHost' });
      await logger(['-n', '127.0.0.1', '-P', String(running.source.port), transport === 'tcp' ? '-T' : '-d', '--rfc3164', '-t', 'sluicetest'], 'one\ntwo\n');
      const events = await collectEvents(running.harness, 2);
      expect(events.map((e) => e.headers.clientHost), transport).to.deep.equal(['localhost', 'localhost']);
      await running.close();
      running = undefined;
    }
  });

  it('cuts a message over eventSize and marks it Incomplete, delivers its rest as Invalid events (as Flume does), then reads the next one', async () => {
    running = await startTcp({ eventSize: 64, keepFields: 'all' });
    const long = 'x'.repeat(500);
    await logger(['-n', '127.0.0.1', '-P', String(running.source.port), '-T', '--octet-count', '--rfc3164', '-t', 'sluicetest', '--size', '1024'], `${long}\nshort\n`);
    const events: SluiceEvent[] = [];
    await eventually(async () => {
      events.push(...(await takeAll(running!.harness)));
      return events.at(-1)?.body.toString().endsWith('sluicetest: short') === true;
    }, 'the short message after the long one');
    const pieces = events.slice(0, -1);
    expect(pieces[0]!.headers['flume.syslog.status']).to.equal('Incomplete');
    for (const piece of pieces.slice(1)) expect(piece.headers['flume.syslog.status']).to.equal('Invalid');
    for (const piece of pieces) expect(piece.body.length).to.be.at.most(64);
    const whole = Buffer.concat(pieces.map((e) => e.body)).toString();
    expect(whole).to.match(new RegExp(`^<13>\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d \\S+ sluicetest: ${long}$`));
    expect(pieces).to.have.length(Math.ceil(whole.length / 64));
    expect(running.harness.channel.size).to.equal(0);
  });

  it('keeps a line that is not syslog with status Invalid', async () => {
    running = await startUdp();
    await logger(['-n', '127.0.0.1', '-P', String(running.source.port), '-d', '--rfc3164', '-t', 'sluicetest', 'fine']);
    const { createSocket } = await import('node:dgram');
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => socket.send('not syslog at all', running!.source.port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    socket.close();
    const events = await collectEvents(running.harness, 2);
    const invalid = events.find((e) => e.headers['flume.syslog.status'] === 'Invalid');
    expect(invalid?.body.toString()).to.equal('not syslog at all');
  });
});

describe('syslog_tcp with a client that breaks octet counting', () => {
  let running: Running<SyslogTcpSource> | undefined;
  after(() => running?.close());

  it('delivers the frames before the break, closes the connection and reports SLUICE_PROTOCOL', async () => {
    running = await startTcp();
    const { connect } = await import('node:net');
    const socket = connect(running.source.port, '127.0.0.1');
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.write('9 <13>first12x<13>broken');
    await closed;
    const events = await collectEvents(running.harness, 1);
    // `<13>first` has a PRI but no stamp or host: like Flume, the body is the raw line.
    expect(events.map((e) => e.body.toString())).to.deep.equal(['<13>first']);
    expect(running.ctx.metrics.get('EventReadFail')).to.equal(1);
    const errors = running.harness.events.filter((e) => e.type === 'component.error');
    expect(errors.map((e) => (e.error as { code?: string }).code)).to.include('SLUICE_PROTOCOL');
  });
});

describe('syslog_udp with a full channel', () => {
  before(function () { requirePeers(this, 'logger'); });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-syslog-udp-'));
  let running: Running<SyslogUdpSource> | undefined;
  after(async () => {
    await running?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds up to maxPending events, drops and counts the rest, and delivers what it held once drained', async () => {
    running = await startUdp({ batchSize: 5, maxPending: 20, receiveBufferSize: '1MiB' }, 5);
    const file = path.join(dir, 'lines.txt');
    writeFileSync(file, `${Array.from({ length: 100 }, (_, i) => `udp-${i}`).join('\n')}\n`);
    await logger(['-n', '127.0.0.1', '-P', String(running.source.port), '-d', '-t', 'udp', '-f', file]);
    const metrics = running.ctx.metrics;
    const got: SluiceEvent[] = [];
    // The kernel may itself drop a few datagrams on a loaded machine; those the source never sees.
    await eventually(async () => {
      got.push(...(await takeAll(running!.harness)));
      const settled = metrics.get('EventPendingCount') === 0 && got.length === metrics.get('EventAcceptedCount');
      return settled && got.length + metrics.get('EventDroppedCount') >= 80;
    }, 'datagrams delivered or counted as dropped');
    expect(metrics.get('EventDroppedCount')).to.be.above(0);
    expect(got.length).to.be.at.least(5);
    expect(new Set(got.map((e) => e.body.toString())).size).to.equal(got.length);
  });
});

describe('syslog_tcp conformance (logger as the client)', () => {
  before(function () { requirePeers(this, 'logger'); });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-syslog-suite-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  sourceSuite({
    // batchSize 5 fits the capacity-5 channel of the backpressure case.
    factory: (ctx) => syslogTcpSource.create({ ...TCP_DEFAULTS, port: 0, batchSize: 5 }, ctx),
    produce: async (source: Source, bodies) => {
      const file = path.join(dir, 'lines.txt');
      writeFileSync(file, `${bodies.join('\n')}\n`);
      await logger(['-n', '127.0.0.1', '-P', String((source as SyslogTcpSource).port), '-T', '--octet-count', '-t', 'suite', '-f', file]);
    },
    capabilities: { backpressure: true },
  });
});

describe('syslog_udp conformance (logger as the client)', () => {
  before(function () { requirePeers(this, 'logger'); });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-syslog-suite-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  sourceSuite({
    factory: (ctx) => syslogUdpSource.create({ ...UDP_DEFAULTS, port: 0 }, ctx),
    produce: async (source: Source, bodies) => {
      const file = path.join(dir, 'lines.txt');
      // Groups of 25 datagrams stay far below the kernel's default UDP receive buffer.
      for (let i = 0; i < bodies.length; i += 25) {
        writeFileSync(file, `${bodies.slice(i, i + 25).join('\n')}\n`);
        await logger(['-n', '127.0.0.1', '-P', String((source as SyslogUdpSource).port), '-d', '-t', 'suite', '-f', file]);
      }
    },
  });
});
