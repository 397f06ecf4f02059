import { expect } from 'chai';
import { SyslogFramer, SyslogParser } from '../src/index.js';

/** mulberry32: a small seeded generator, so a failure replays. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Syslog-shaped lines whose pieces are often almost right (a 6-digit PRI, a stamp with 7
 * fraction digits, an open `[`), so cutting one anywhere leaves a frame whose header continues,
 * or seems to, in the bytes after it.
 */
function lines(next: () => number): () => string {
  const pick = (options: string[]): string => options[Math.floor(next() * options.length)]!;
  return () => [
    pick(['<13>', '<134>', '<1>', '<191>', '<192>', '<1', '']), pick(['', '', '1', '1 ', '2']), pick([' ', '', '  ']),
    pick(['Nov 26 07:49:31', 'Nov  6 07:49:31', 'Feb 30 01:02:03', '2026-02-05T01:02:03.250Z', '2026-02-05T01:02:03', '2026-02-05T01:02:03.1234567Z', '2026-02-05T01:02:03+01:00', '-']),
    pick([' ', '']), pick(['host', 'h.x', '::1', '-', 'a:b']), pick([' ', '']),
    pick(['app[42]: ', 'app: ', 'app[42 ', 'a - ID1 - ', 'a p m [x k="v"] ', 'a p m [x ', '']), pick(['msg', '', 'x y']),
  ].join('');
}

describe('SyslogParser.parseRange and SyslogFramer.pushRanges', () => {
  it('parse a frame inside a larger buffer exactly as a copy of it, header order included, reading nothing outside it', () => {
    const next = random(20261202);
    const line = lines(next);
    const now = (): number => Date.UTC(2026, 11, 2);
    for (const keepFields of ['none', 'all', 'priority version timestamp hostname']) {
      // One parser of each kind over all cases: a cache filled from bytes outside a range would
      // show up in a later message.
      const copies = new SyslogParser({ keepFields, clientIPHeader: 'ip', structuredDataHeaders: true, now });
      const ranges = new SyslogParser({ keepFields, clientIPHeader: 'ip', structuredDataHeaders: true, now });
      for (let i = 0; i < 6000; i++) {
        const whole = line();
        const cut = next() < 0.5 ? Math.floor(next() * (whole.length + 1)) : whole.length;
        const frame = Buffer.from(whole.slice(0, cut), 'latin1');
        const before = Buffer.from(line(), 'latin1');
        // What follows a cut frame is the rest of its own line: the worst neighbour it can have.
        const data = Buffer.concat([before, frame, Buffer.from(whole.slice(cut) + line(), 'latin1')]);
        const incomplete = next() < 0.1;
        const expected = copies.parse(Buffer.from(frame), incomplete, '10.0.0.1');
        const actual = ranges.parseRange(data, before.length, before.length + frame.length, incomplete, '10.0.0.1');
        expect(Object.entries(actual.headers), whole).to.deep.equal(Object.entries(expected.headers));
        expect(actual.body.toString('latin1'), whole).to.equal(expected.body.toString('latin1'));
      }
    }
  });

  it('hand over the same frames as push, however the stream is cut', () => {
    const next = random(7);
    const line = lines(next);
    for (let i = 0; i < 1500; i++) {
      const eventSize = 1 + Math.floor(next() * 40);
      const octet = next() < 0.5;
      let stream = '';
      for (let k = 0; k < 1 + next() * 6; k++) {
        const message = line();
        stream += octet ? `${Buffer.byteLength(message, 'latin1')} ${message}${next() < 0.2 ? '\n' : ''}` : `${message}${['\n', '\r\n', ''][Math.floor(next() * 3)]}`;
      }
      const bytes = Buffer.from(stream, 'latin1');
      const chunks: Buffer[] = [];
      for (let p = 0; p < bytes.length;) {
        const q = Math.min(bytes.length, p + 1 + Math.floor(next() * 20));
        chunks.push(bytes.subarray(p, q));
        p = q;
      }
      // A newline stream whose first line starts with a digit reads as octet counting and fails:
      // then both must fail the same way after the same frames.
      const viaPush: unknown[] = [];
      try {
        const framer = new SyslogFramer(eventSize);
        for (const chunk of chunks) framer.push(Buffer.from(chunk), (f, incomplete) => viaPush.push([f.toString('latin1'), incomplete]));
        framer.end((f, incomplete) => viaPush.push([f.toString('latin1'), incomplete]));
      } catch (error) {
        viaPush.push((error as Error).message);
      }
      const viaRanges: unknown[] = [];
      try {
        const ranged = new SyslogFramer(eventSize);
        for (const chunk of chunks) ranged.pushRanges(Buffer.from(chunk), (d, s, e, incomplete) => viaRanges.push([d.toString('latin1', s, e), incomplete]));
        ranged.endRanges((d, s, e, incomplete) => viaRanges.push([d.toString('latin1', s, e), incomplete]));
      } catch (error) {
        viaRanges.push((error as Error).message);
      }
      expect(viaRanges, stream).to.deep.equal(viaPush);
    }
  });
});
