import { expect } from 'chai';
import { SyslogFramer, FramingError, SyslogParser } from '../src/index.js';

const parser = (keepFields: 'none' | 'all' = 'none', clientIPHeader = '') => new SyslogParser({ keepFields, clientIPHeader });

describe('SyslogParser', () => {
  it('reads an RFC 3164 message into Facility, Severity, timestamp, host, appName and procId', () => {
    const event = parser().parse(Buffer.from('<34>Oct 11 22:14:15 mymachine su[231]: \'su root\' failed'));
    expect(event.headers).to.include({ Facility: '4', Severity: '2', host: 'mymachine', appName: 'su', procId: '231' });
    const when = new Date(Number(event.headers.timestamp));
    expect([when.getMonth(), when.getDate(), when.getHours(), when.getMinutes(), when.getSeconds()]).to.deep.equal([9, 11, 22, 14, 15]);
    expect(event.body.toString()).to.equal('su[231]: \'su root\' failed');
    expect(event.headers).to.not.have.property('flume.syslog.status');
  });

  it('reads a space-padded RFC 3164 day and an RFC 3339 stamp in the 3164 layout', () => {
    const padded = parser().parse(Buffer.from('<13>Feb  5 01:02:03 h app: x'));
    expect(new Date(Number(padded.headers.timestamp)).getDate()).to.equal(5);
    const iso = parser().parse(Buffer.from('<13>2026-02-05T01:02:03.250Z h app: x'));
    expect(iso.headers.timestamp).to.equal(String(Date.parse('2026-02-05T01:02:03.250Z')));
    expect(iso.headers.host).to.equal('h');
  });

  it('keeps a message with a PRI but no stamp and host whole, as Flume does, with no status', () => {
    const event = parser().parse(Buffer.from('<13>just text'));
    expect(event.headers).to.deep.equal({ Facility: '1', Severity: '5' });
    expect(event.body.toString()).to.equal('<13>just text');
  });

  it('reads an RFC 5424 message with structured data and a BOM; the body is everything after the host name', () => {
    const rest = Buffer.concat([
      Buffer.from('evntslog - ID47 [exampleSDID@32473 iut="3" eventID="1011" x="a\\]b"][other k="v"] '),
      Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('An application event'),
    ]);
    const event = parser().parse(Buffer.concat([Buffer.from('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com '), rest]));
    expect(event.headers).to.deep.equal({
      Facility: '20', Severity: '5', priority: '165', version: '1', timestamp: String(Date.parse('2003-10-11T22:14:15.003Z')), host: 'mymachine.example.com',
      appName: 'evntslog', msgId: 'ID47', structuredData: '[exampleSDID@32473 iut="3" eventID="1011" x="a\\]b"][other k="v"]',
    });
    expect(event.body).to.deep.equal(rest);
  });

  it('splits structured data into sd.<id>.<param> headers when asked, unescaping values', () => {
    const sd = '[exampleSDID@32473 iut="3" eventSource="Appli\\"cation" x="a\\]b\\\\"][origin ip="10.0.0.1"]';
    const event = new SyslogParser({ keepFields: 'none', clientIPHeader: '', structuredDataHeaders: true }).parse(Buffer.from(`<13>1 - h a - - ${sd} msg`));
    expect(event.headers).to.include({
      'sd.exampleSDID@32473.iut': '3', 'sd.exampleSDID@32473.eventSource': 'Appli"cation', 'sd.exampleSDID@32473.x': 'a]b\\', 'sd.origin.ip': '10.0.0.1', structuredData: sd,
    });
    expect(event.body.toString()).to.equal(`a - - ${sd} msg`);
    expect(parser().parse(Buffer.from(`<13>1 - h a - - ${sd} msg`)).headers).to.not.have.property('sd.origin.ip');
  });

  it('reads an RFC 5424 message with nil fields', () => {
    const event = parser().parse(Buffer.from('<13>1 - - - - - -'));
    expect(event.headers).to.deep.equal({ Facility: '1', Severity: '5', priority: '13', version: '1' });
    expect(event.body.toString()).to.equal('- - - -');
  });

  it('marks a message without a valid PRI Invalid with Facility and Severity 0 and keeps it whole', () => {
    for (const text of ['no pri here', '<999>Oct 11 22:14:15 h x', '<>x', '<1a>x', '<1234>x']) {
      const event = parser().parse(Buffer.from(text));
      expect(event.headers, text).to.deep.equal({ Facility: '0', Severity: '0', 'flume.syslog.status': 'Invalid' });
      expect(event.body.toString()).to.equal(text);
    }
  });

  it('keeps a PRI line whose header matches neither form whole, with no status (a cut 5424 header, a bad stamp)', () => {
    for (const text of ['<13>1 2003-10-11T22:14:15Z host', '<13>1 notatime h a p m - x', '<13>Oct 11 22:14:15 host']) {
      const event = parser().parse(Buffer.from(text));
      expect(event.headers, text).to.deep.equal({ Facility: '1', Severity: '5' });
      expect(event.body.toString()).to.equal(text);
    }
  });

  it('keeps the whole line in the body with keepFields all, and sets clientIPHeader', () => {
    const line = '<13>Oct 11 22:14:15 h app: msg';
    const event = parser('all', 'clientIP').parse(Buffer.from(line), false, '10.1.2.3');
    expect(event.body.toString()).to.equal(line);
    expect(event.headers).to.include({ host: 'h', clientIP: '10.1.2.3' });
  });

  it('marks a cut message Incomplete', () => {
    const event = parser().parse(Buffer.from('<13>Oct 11 22:14:15 h app: cut her'), true);
    expect(event.headers).to.include({ host: 'h', 'flume.syslog.status': 'Incomplete' });
  });
});

describe('SyslogFramer', () => {
  const frames = (framer: SyslogFramer, chunks: string[]): [string, boolean][] => {
    const out: [string, boolean][] = [];
    for (const chunk of chunks) framer.push(Buffer.from(chunk), (f, incomplete) => out.push([f.toString(), incomplete]));
    framer.end((f, incomplete) => out.push([f.toString(), incomplete]));
    return out;
  };

  it('splits newline framing across chunks, drops \\r and keeps an unterminated last line', () => {
    const framer = new SyslogFramer(100);
    expect(frames(framer, ['<13>a\r\n<13>b', 'c\n\n<13>d'])).to.deep.equal([['<13>a', false], ['<13>bc', false], ['<13>d', false]]);
    expect(framer.framing).to.equal('newline');
  });

  it('detects octet counting from the first byte and splits frames across chunks', () => {
    const framer = new SyslogFramer(100);
    expect(frames(framer, ['7 <13>a', ' b5 <1', '3>d\n6 <13>ef'])).to.deep.equal([['<13>a b', false], ['<13>d', false], ['<13>ef', false]]);
    expect(framer.framing).to.equal('octet-counting');
  });

  it('cuts frames longer than eventSize, marks the cut message incomplete once and delivers the rest as further frames, in both framings', () => {
    expect(frames(new SyslogFramer(4), ['<13>abcdefghi\n<13>\n'])).to.deep.equal([['<13>', true], ['abcd', false], ['efgh', false], ['i', false], ['<13>', false]]);
    expect(frames(new SyslogFramer(4), ['10 <13>abcdef4 <13>'])).to.deep.equal([['<13>', true], ['abcd', false], ['ef', false], ['<13>', false]]);
  });

  it('gives the same frames however the stream is cut into chunks (seeded random cuts, both framings)', () => {
    let seed = 42;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const messages = Array.from({ length: 300 }, (_, i) => `<13>message ${i} ${'m'.repeat(Math.floor(random() * 120))}`);
    messages[7] = `<13>${'L'.repeat(300)}`;
    const streams = {
      newline: Buffer.from(messages.map((m) => `${m}\r\n`).join('')),
      octet: Buffer.from(messages.map((m) => `${Buffer.byteLength(m)} ${m}`).join('')),
    };
    for (const [name, stream] of Object.entries(streams)) {
      const whole = frames(new SyslogFramer(200), [stream.toString('latin1')]);
      expect(whole, name).to.have.length(301);
      expect(whole.slice(7, 9), name).to.deep.equal([[`<13>${'L'.repeat(196)}`, true], ['L'.repeat(104), false]]);
      for (let round = 0; round < 50; round++) {
        const chunks: string[] = [];
        for (let at = 0; at < stream.length;) {
          const size = 1 + Math.floor(random() * (round % 2 === 0 ? 16 : 700));
          chunks.push(stream.toString('latin1', at, at + size));
          at += size;
        }
        expect(frames(new SyslogFramer(200), chunks), `${name} round ${round}`).to.deep.equal(whole);
      }
    }
  });

  it('throws FramingError on a bad octet count', () => {
    expect(() => new SyslogFramer(100).push(Buffer.from('12x<13>'), () => undefined)).to.throw(FramingError);
  });
});
