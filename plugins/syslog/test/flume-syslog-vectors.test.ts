import dgram from 'node:dgram';
import net from 'node:net';
import { expect } from 'chai';
import type { SluiceEvent } from '@sluice/core';
import { collectEvents } from '@sluice/testkit';
import { SyslogFramer, SyslogParser, type SyslogTcpSource, type SyslogUdpSource } from '../src/index.js';
import { startTcp, startUdp, type Running } from './helpers.js';

// Vectors of Apache Flume's own tests (flume-ng-core/src/test/java/org/apache/flume/source/
// TestSyslogUtils.java, TestSyslogParser.java, TestSyslogTcpSource.java, TestSyslogUdpSource.java,
// apache/flume@168caa6a), ported as inputs and expected values; the differences we keep on purpose
// are listed in docs/flume-migration.md ("Parsing differences") and asserted here as such.

const parse = (text: string, keepFields = 'none', now?: () => number): SluiceEvent =>
  new SyslogParser({ keepFields, clientIPHeader: '', ...(now ? { now } : {}) }).parse(Buffer.from(text));

/** Flume's extractEvent over a stream: our framer (eventSize bytes) feeding our parser. */
function extractAll(stream: string, eventSize = 2500): SluiceEvent[] {
  const parser = new SyslogParser({ keepFields: 'none', clientIPHeader: '' });
  const framer = new SyslogFramer(eventSize);
  const events: SluiceEvent[] = [];
  const onFrame = (frame: Buffer, incomplete: boolean): void => void events.push(parser.parse(frame, incomplete));
  framer.push(Buffer.from(stream), onFrame);
  framer.end(onFrame);
  return events;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number): string => String(n).padStart(2, '0');
/** Java's `MMM  d HH:mm:ss` (two spaces whatever the day, as Flume's tests write it). */
const flumeStamp = (d: Date): string => `${MONTHS[d.getMonth()]}  ${d.getDate()} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;

describe('Flume TestSyslogUtils vectors', () => {
  const host = 'ubuntu-11.cloudera.com';
  const check = (msg: string, stamp: number | undefined, expectedHost: string | undefined, body: string, keepFields = 'none'): void => {
    const event = parse(msg, keepFields);
    if (stamp === undefined) expect(event.headers, msg).to.not.have.property('timestamp');
    else expect(event.headers.timestamp, msg).to.equal(String(stamp));
    if (expectedHost === undefined) expect(event.headers, msg).to.not.have.property('host');
    else expect(event.headers.host, msg).to.equal(expectedHost);
    expect(event.body.toString(), msg).to.equal(body);
  };

  it('TestHeader0-8: RFC 5424 stamps with Z, +hh:mm, no offset (agent-local), nil stamp and nil host, with and without version', () => {
    check(`<10>2012-04-13T11:11:11+08:00 ${host} some msg`, Date.UTC(2012, 3, 13, 3, 11, 11), host, 'some msg');
    check(`<10>1 2012-04-13T11:11:11 ${host} some msg`, new Date(2012, 3, 13, 11, 11, 11).getTime(), host, 'some msg');
    check(`<10>1 2012-04-13T11:11:11Z ${host} some msg`, Date.UTC(2012, 3, 13, 11, 11, 11), host, 'some msg');
    check(`<10>1 2012-04-13T11:11:11+08:00 ${host} some msg`, Date.UTC(2012, 3, 13, 3, 11, 11), host, 'some msg');
    check(`<10>1 - ${host} some msg`, undefined, host, 'some msg');
    check('<10>1 2012-04-13T11:11:11 - some msg', new Date(2012, 3, 13, 11, 11, 11).getTime(), undefined, 'some msg');
    check('<10>1 2012-04-13T11:11:11Z - some msg', Date.UTC(2012, 3, 13, 11, 11, 11), undefined, 'some msg');
    check('<10>1 2012-04-13T11:11:11+08:00 - some msg', Date.UTC(2012, 3, 13, 3, 11, 11), undefined, 'some msg');
    check(`<10>1 2012-04-13T11:11:11.999 ${host} some msg`, new Date(2012, 3, 13, 11, 11, 11, 999).getTime(), host, 'some msg');
  });

  it('TestHeader9/10 and ApacheLogWithNulls: RFC 3164 with the current date, a body starting with "-"', () => {
    const now = new Date();
    now.setMilliseconds(0);
    check(`<10>${flumeStamp(now)} ${host} some msg`, now.getTime(), host, 'some msg');
    const apache = '- hyphen_null_breaks_5424_pattern [07/Jun/2012:14:46:44 -0600]';
    check(`<10>${flumeStamp(now)} ${host} ${apache}`, now.getTime(), host, apache);
  });

  it('TestHeader11 (documented difference): microseconds are cut to milliseconds, and the offset is honoured where Flume drops it', () => {
    // Flume expects 17:20:01.123 agent-local time (its fractional-second format ignores -07:00).
    check(`<10>2014-10-03T17:20:01.123456-07:00 ${host} some msg`, Date.UTC(2014, 9, 4, 0, 20, 1, 123), host, 'some msg');
  });

  it('TestRfc3164Dates: a clock over 14 months reads stamps from ten months behind to one month ahead in the right year', () => {
    for (let monthOffset = 0; monthOffset <= 13; monthOffset++) {
      const clock = new Date();
      clock.setMonth(clock.getMonth() + monthOffset);
      clock.setMilliseconds(0);
      for (let i = -10; i <= 1; i++) {
        const when = new Date(clock.getTime());
        when.setMonth(when.getMonth() + i);
        if (i === 1) when.setDate(when.getDate() - 1);
        const event = parse(`<10>${flumeStamp(when)} ${host} some msg`, 'none', () => clock.getTime());
        expect(new Date(Number(event.headers.timestamp)).getFullYear(), `clock ${clock.toISOString()} stamp ${flumeStamp(when)}`).to.equal(when.getFullYear());
        expect(Number(event.headers.timestamp)).to.equal(when.getTime());
      }
    }
  });

  it('testExtractBadEvent1-4: a bad PRI is Invalid with Facility and Severity "0" and the whole line as body', () => {
    for (const bad of ['<10F> bad bad data', 'hi guys! <10> bad bad data', '<> bad bad data', '<123123123123123123123123123123> bad bad data']) {
      const [event] = extractAll(`${bad}\n`);
      expect(event!.headers, bad).to.deep.equal({ Facility: '0', Severity: '0', 'flume.syslog.status': 'Invalid' });
      expect(event!.body.toString()).to.equal(bad);
    }
  });

  it('testExtractGoodEvent and the good/bad sequences: a PRI line matching no header form keeps its raw line and no status', () => {
    const good = (e: SluiceEvent | undefined, f: string, s: string, body: string): void => {
      expect(e!.headers).to.deep.equal({ Facility: f, Severity: s });
      expect(e!.body.toString()).to.equal(body);
    };
    const bad = (e: SluiceEvent | undefined, body: string): void => {
      expect(e!.headers).to.deep.equal({ Facility: '0', Severity: '0', 'flume.syslog.status': 'Invalid' });
      expect(e!.body.toString()).to.equal(body);
    };
    good(extractAll('<10>Good good good data\n')[0], '1', '2', '<10>Good good good data');
    const badGood = extractAll('hi guys! <10F> bad bad data\n<10>Good good good data\n');
    bad(badGood[0], 'hi guys! <10F> bad bad data');
    good(badGood[1], '1', '2', '<10>Good good good data');
    const goodBad = extractAll('<10>Good good good data\nhi guys! <10F> bad bad data\n');
    good(goodBad[0], '1', '2', '<10>Good good good data');
    bad(goodBad[1], 'hi guys! <10F> bad bad data');
    const badBad = extractAll('hi guys! <10F> bad bad data\nhi guys! <20> bad bad data\n');
    bad(badBad[0], 'hi guys! <10F> bad bad data');
    bad(badBad[1], 'hi guys! <20> bad bad data');
    const goodGood = extractAll('<10>Good good good data\n<20>Good really good data\n');
    good(goodGood[0], '1', '2', '<10>Good good good data');
    good(goodGood[1], '2', '4', '<20>Good really good data');
  });

  it('testExtractBadEventLarge: a line over eventSize gives an Incomplete event, then its rest as Invalid events', () => {
    const events = extractAll('<10> bad bad data bad bad\n', 10);
    expect(events.map((e) => [e.body.toString(), e.headers['flume.syslog.status'], e.headers.Facility, e.headers.Severity])).to.deep.equal([
      ['<10> bad b', 'Incomplete', '1', '2'],
      ['ad data ba', 'Invalid', '0', '0'],
      ['d bad', 'Invalid', '0', '0'],
    ]);
  });

  it('testKeepFields: none/false, hostname, timestamp hostname, priority ..., all/true', () => {
    const msg = `<10>1 2012-04-13T11:11:11+08:00 ${host} some msg`;
    const stamp = Date.UTC(2012, 3, 13, 3, 11, 11);
    check(msg, stamp, host, 'some msg', 'none');
    check(msg, stamp, host, 'some msg', 'false');
    check(msg, stamp, host, `${host} some msg`, 'hostname');
    check(msg, stamp, host, `2012-04-13T11:11:11+08:00 ${host} some msg`, 'timestamp hostname');
    check(msg, stamp, host, `<10>2012-04-13T11:11:11+08:00 ${host} some msg`, 'priority timestamp hostname');
    check(msg, stamp, host, msg, 'priority version timestamp hostname');
    check(msg, stamp, host, msg, 'all');
    check(msg, stamp, host, msg, 'true');
  });
});

describe('Flume TestSyslogParser vectors', () => {
  const messages = [
    '<34>Oct 11 22:14:15 mymachine su: \'su root\' failed for lonvick on /dev/pts/8',
    '<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!',
    '<165>Aug 24 05:34:00 CST 1987 mymachine myproc[10]: %% It\'s time to make the do-nuts.  %%  Ingredients: Mix=OK, Jelly=OK # Devices: Mixer=OK, Jelly_Injector=OK, Frier=OK # Transport: Conveyer1=OK, Conveyer2=OK # %%',
    '<0>Oct 22 10:52:12 scapegoat 1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That\'s All Folks!',
    '<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - BOM\'su root\' failed for lonvick on /dev/pts/8',
    '<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It\'s time to make the do-nuts.',
    '<13>2003-08-24T05:14:15Z localhost snarf?',
    '<13>2012-08-16T14:34:03-08:00 127.0.0.1 test shnap!',
  ];

  it('testMessageParsing: known-good messages parse without status; keepFields all keeps them whole; keepFields hostname keeps the host', () => {
    for (const msg of messages) {
      const event = parse(msg);
      expect(event.headers, msg).to.not.have.property('flume.syslog.status');
      expect(event.headers.host, msg).to.be.a('string');
      expect(event.headers.timestamp, msg).to.match(/^\d+$/);
      expect(parse(msg, 'all').body.toString()).to.equal(msg);
      const kept = parse(msg, 'hostname');
      expect(kept.body.toString(), msg).to.include(kept.headers.host!);
    }
  });

  it('testRfc5424DateParsing: fractions read as fractions, offsets honoured', () => {
    const vectors: [string, number][] = [
      ['1985-04-12T23:20:50.52Z', Date.UTC(1985, 3, 12, 23, 20, 50, 520)],
      ['1985-04-12T19:20:50.52-04:00', Date.UTC(1985, 3, 12, 23, 20, 50, 520)],
      ['2003-10-11T22:14:15.003Z', Date.UTC(2003, 9, 11, 22, 14, 15, 3)],
      ['2003-08-24T05:14:15.000003-07:00', Date.UTC(2003, 7, 24, 12, 14, 15, 0)],
      ['2012-04-13T11:11:11-08:00', Date.UTC(2012, 3, 13, 19, 11, 11)],
      ['2012-04-13T08:08:08.0001+00:00', Date.UTC(2012, 3, 13, 8, 8, 8, 0)],
      ['2012-04-13T08:08:08.251+00:00', Date.UTC(2012, 3, 13, 8, 8, 8, 251)],
    ];
    for (const [stamp, ms] of vectors) expect(parse(`<13>1 ${stamp} h app - - - x`).headers.timestamp, stamp).to.equal(String(ms));
  });
});

describe('device syslog as real senders write it', () => {
  it('reads one or two spaces before the day (Juniper, OPNsense `May 4`, `Nov  24`)', () => {
    for (const [stamp, month, day] of [['May 4 05:16:01', 4, 4], ['May  4 05:16:01', 4, 4], ['Nov 24 05:16:01', 10, 24], ['Nov  24 05:16:01', 10, 24]] as const) {
      const clock = new Date(2026, 10, 30, 12).getTime();
      const event = parse(`<158>${stamp} fw01 kernel: filterlog`, 'none', () => clock);
      expect(event.headers, stamp).to.include({ host: 'fw01', appName: 'kernel', Facility: '19', Severity: '6' });
      expect(event.headers.timestamp, stamp).to.equal(String(new Date(2026, month, day, 5, 16, 1).getTime()));
      expect(event.body.toString()).to.equal('kernel: filterlog');
    }
  });

  it('dates a sender\'s Jan 1 read on Dec 31 in the next year, and a Dec 31 read on Jan 1 in the previous one', () => {
    const dec31 = new Date(2026, 11, 31, 20, 0, 0).getTime();
    expect(parse('<13>Jan  1 00:00:07 h app: x', 'none', () => dec31).headers.timestamp).to.equal(String(new Date(2027, 0, 1, 0, 0, 7).getTime()));
    const jan1 = new Date(2027, 0, 1, 0, 5, 0).getTime();
    expect(parse('<13>Dec 31 23:59:59 h app: x', 'none', () => jan1).headers.timestamp).to.equal(String(new Date(2026, 11, 31, 23, 59, 59).getTime()));
  });

  it('reads short RFC 5424 without version and with an IPv6 host', () => {
    const event = parse('<14>1 2023-05-08T10:00:00Z 2001:db8::1 app 1 - - msg');
    expect(event.headers).to.include({ host: '2001:db8::1', appName: 'app', procId: '1', timestamp: String(Date.UTC(2023, 4, 8, 10)) });
    expect(event.body.toString()).to.equal('app 1 - - msg');
    const noVersion = parse('<14> 2023-05-08T10:00:00.5+02:00 fw msg');
    expect(noVersion.headers).to.include({ host: 'fw', timestamp: String(Date.UTC(2023, 4, 8, 8, 0, 0, 500)) });
    expect(noVersion.body.toString()).to.equal('msg');
  });
});

describe('Flume TestSyslogTcpSource / TestSyslogUdpSource keepFields through the sources', () => {
  let running: Running<SyslogTcpSource | SyslogUdpSource> | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });
  const stamp = '2026-12-02T03:04:05.678+01:00';
  const host = 'localhost.localdomain';
  const data = 'test syslog data';
  const line = `<10>${stamp} ${host} ${data}`;
  const expected: Record<string, string> = { all: line, true: line, none: data, false: data, hostname: `${host} ${data}`, timestamp: `${stamp} ${data}` };

  for (const keepFields of Object.keys(expected)) {
    it(`keepFields ${keepFields} over TCP and UDP (10 messages each)`, async () => {
      running = await startTcp({ keepFields });
      const socket = net.connect(running.source.port, '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      for (let i = 0; i < 10; i++) socket.write(`${line}\n`);
      socket.end();
      const tcpEvents = await collectEvents(running.harness, 10);
      expect(tcpEvents.map((e) => e.body.toString())).to.deep.equal(Array(10).fill(expected[keepFields]));
      expect(running.ctx.metrics.get('EventAcceptedCount')).to.equal(10);
      await running.close();
      running = await startUdp({ keepFields });
      const udp = dgram.createSocket('udp4');
      for (let i = 0; i < 10; i++) await new Promise<void>((resolve, reject) => udp.send(line, running!.source.port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
      udp.close();
      const udpEvents = await collectEvents(running.harness, 10);
      expect(udpEvents.map((e) => e.body.toString())).to.deep.equal(Array(10).fill(expected[keepFields]));
      expect(udpEvents[0]!.headers).to.include({ host, timestamp: String(Date.UTC(2026, 11, 2, 2, 4, 5, 678)), Facility: '1', Severity: '2' });
    });
  }

  it('testLargePayload: 1000-byte datagrams without PRI arrive whole (Invalid), keepFields true', async () => {
    running = await startUdp({ keepFields: 'all' });
    const payload = 'x'.repeat(1000);
    const udp = dgram.createSocket('udp4');
    for (let i = 0; i < 10; i++) await new Promise<void>((resolve, reject) => udp.send(payload, running!.source.port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    udp.close();
    const events = await collectEvents(running.harness, 10);
    for (const event of events) expect(event.body.toString()).to.equal(payload);
  });
});
