import { expect } from 'chai';
import { BucketTemplate, bucketTemplateError, createEvent, encodeHeaderValue, errorCode, OpenBuckets, RollPolicy } from '../src/index.js';

const at = (iso: string, headers: Record<string, string> = {}) => createEvent('x', { timestamp: String(Date.parse(iso)), ...headers });

describe('BucketTemplate', () => {
  it('expands the date escapes from the timestamp header in UTC', () => {
    const t = new BucketTemplate('/logs/%Y/%m/%d/%H%M%S-%y-%n-%e-%k-%I%p-%j-%a-%A-%b-%B-%D-%z');
    expect(t.render(at('2026-03-05T07:08:09Z'))).to.equal('/logs/2026/03/05/070809-26-3-5-7-07AM-064-Thu-Thursday-Mar-March-03/05/26-+0000');
  });

  it('expands %t, %s, %{header} and %% ', () => {
    const t = new BucketTemplate('k/%{host}/%s/%t/100%%');
    const e = at('2026-01-01T00:00:01.500Z', { host: 'web1' });
    expect(t.render(e)).to.equal(`k/web1/${Math.floor(Date.parse('2026-01-01T00:00:01.500Z') / 1000)}/${Date.parse('2026-01-01T00:00:01.500Z')}/100%`);
  });

  it('renders each event with its own time when one template serves alternating seconds', () => {
    const t = new BucketTemplate('%H:%M:%S.%t');
    const a = at('2026-01-01T10:00:01.250Z');
    const b = at('2026-01-01T23:59:59.999Z');
    expect([a, b, a, b].map((e) => t.render(e))).to.deep.equal([
      `10:00:01.${Date.parse('2026-01-01T10:00:01.250Z')}`, `23:59:59.${Date.parse('2026-01-01T23:59:59.999Z')}`,
      `10:00:01.${Date.parse('2026-01-01T10:00:01.250Z')}`, `23:59:59.${Date.parse('2026-01-01T23:59:59.999Z')}`,
    ]);
  });

  it('rounds down with round/roundValue/roundUnit like Flume (11:54 in 10-minute buckets is 1150)', () => {
    const t = new BucketTemplate('%H%M', { round: true, roundValue: 10, roundUnit: 'minute' });
    expect(t.render(at('2026-01-01T11:54:30Z'))).to.equal('1150');
  });

  it('uses the agent clock with useLocalTimeStamp', () => {
    const t = new BucketTemplate('%Y-%m-%d', { useLocalTimeStamp: true });
    expect(t.render(createEvent('x'), Date.parse('2030-12-31T10:00:00Z'))).to.equal('2030-12-31');
  });

  it('rejects an event without a timestamp with the non-retriable SLUICE_EVENT_REJECTED', () => {
    const t = new BucketTemplate('/logs/%Y');
    let error: unknown;
    try {
      t.render(createEvent('x'));
    } catch (e) {
      error = e;
    }
    expect(errorCode(error)).to.equal('SLUICE_EVENT_REJECTED');
    expect((error as { retriable: boolean }).retriable).to.equal(false);
  });

  it('rejects timestamps outside the Date range (poison events found by fuzzing) instead of throwing a TypeError or rendering NaN', () => {
    const t = new BucketTemplate('/logs/%Y/%m');
    for (const timestamp of ['-1e300', '1e300', '8640000000000001', 'Infinity', '', ' ']) {
      let error: unknown;
      try {
        t.render(createEvent('x', { timestamp }));
      } catch (e) {
        error = e;
      }
      expect(errorCode(error), timestamp).to.equal('SLUICE_EVENT_REJECTED');
    }
    expect(t.render(createEvent('x', { timestamp: '8640000000000000' }))).to.equal('/logs/275760/09');
  });

  it('renders %{constructor} and other Object prototype names as absent headers', () => {
    expect(new BucketTemplate('/a/%{constructor}/%{toString}/%{__proto__}').render(createEvent('x', {}))).to.equal('/a///');
  });

  it('fails with SLUICE_CONFIG_INVALID on an unknown escape', () => {
    expect(() => new BucketTemplate('/logs/%Q')).to.throw().with.property('code', 'SLUICE_CONFIG_INVALID');
    expect(() => new BucketTemplate('/logs/%{host')).to.throw().with.property('code', 'SLUICE_CONFIG_INVALID');
  });

  it('bucketTemplateError() gives the message the constructor throws, and nothing for a valid template', () => {
    for (const bad of ['/logs/%Q', '/logs/%{host', '/logs/%{}', '/logs/%[host]', '/logs/%[IP', '/logs/100%']) {
      const message = bucketTemplateError(bad);
      expect(message, bad).to.be.a('string').and.contain(`bucket template '${bad}'`);
      expect(() => new BucketTemplate(bad)).to.throw().with.property('message', message);
    }
    expect(bucketTemplateError('/logs/%Q')).to.contain('unknown escape %Q');
    expect(bucketTemplateError('/logs/%{host')).to.contain('unclosed %{');
    for (const good of ['/logs/%Y/%m/%d/%{host}/%{log-type}', 'k/%[localhost]/%[IP]/%[FQDN]/%s/%t/100%%', 'plain', '']) {
      expect(bucketTemplateError(good), good).to.equal(undefined);
      expect(() => new BucketTemplate(good)).to.not.throw();
    }
  });

  it('keeps a %{host} header of ../../etc inside the prefix', () => {
    const t = new BucketTemplate('/data/logs/%{host}/x');
    const rendered = t.render(createEvent('x', { host: '../../etc' }));
    expect(rendered.startsWith('/data/logs/')).to.equal(true);
    const segments = rendered.split('/');
    expect(segments).to.not.include('..');
    expect(segments).to.have.length(5);
  });

  it('encodes separators, control characters, percent, colons and leading dots in header values', () => {
    expect(encodeHeaderValue('a/b\\c%d\ne\x7f')).to.equal('a%2Fb%5Cc%25d%0Ae%7F');
    expect(encodeHeaderValue('..')).to.equal('%2E%2E');
    expect(encodeHeaderValue('.hidden')).to.equal('%2Ehidden');
    expect(encodeHeaderValue('v1.2..3')).to.equal('v1.2..3');
    expect(encodeHeaderValue('fe80::1')).to.equal('fe80%3A%3A1');
  });

  it('reports the static prefix before the first escape', () => {
    expect(new BucketTemplate('/logs/app/%Y/%{h}').staticPrefix).to.equal('/logs/app/');
  });

  it('numbers the day of the year (%j) at the very ends of the Date range, where Date.UTC(year, 0, 1) is NaN (found by fuzzing)', () => {
    expect(new BucketTemplate('%Y %j').render(createEvent('x', { timestamp: '-8640000000000000' }))).to.equal('-271821 110');
    expect(new BucketTemplate('%Y %j').render(createEvent('x', { timestamp: '8640000000000000' }))).to.equal('275760 257');
    expect(new BucketTemplate('%j').render(at('2024-12-31T12:00:00Z'))).to.equal('366');
    expect(new BucketTemplate('%j', { timeZone: 'local' }).render(createEvent('x', { timestamp: '-8640000000000000' }))).to.match(/^\d{3}$/);
  });

  it('rejects an event whose time rounds down out of the Date range (non-retriable), and refuses a rounding too large to compute', () => {
    const weekly = new BucketTemplate('%Y%a', { round: true, roundValue: 7, roundUnit: 'day' });
    let error: unknown;
    try { weekly.render(createEvent('x', { timestamp: '-8639999999999999' })); } catch (e) { error = e; }
    expect(errorCode(error)).to.equal('SLUICE_EVENT_REJECTED');
    expect((error as { retriable: boolean }).retriable).to.equal(false);
    expect(() => new BucketTemplate('%Y', { round: true, roundValue: 1e300, roundUnit: 'day' })).to.throw(/roundValue/).with.property('code', 'SLUICE_CONFIG_INVALID');
  });
});

describe('RollPolicy', () => {
  const file = (bytes: number, events: number, openedAt: number, lastWriteAt: number) => ({ bytes, events, openedAt, lastWriteAt });

  it('rolls on size, count, interval or idle timeout, whichever comes first', () => {
    const p = new RollPolicy({ interval: '10s', size: '1KiB', count: 5, idleTimeout: '2s' });
    expect(p.fullBefore(file(1000, 1, 0, 0), 100)).to.equal(true);
    expect(p.fullBefore(file(0, 0, 0, 0), 5000)).to.equal(false);
    expect(p.full(file(10, 5, 0, 0))).to.equal(true);
    expect(p.full(file(10, 4, 0, 0))).to.equal(false);
    expect(p.expired(file(1, 1, 0, 9000), 10000)).to.equal(true);
    expect(p.expired(file(1, 1, 5000, 7000), 9500)).to.equal(true);
    expect(p.expired(file(1, 1, 5000, 9000), 9500)).to.equal(false);
  });

  it('disables a limit set to 0', () => {
    const p = new RollPolicy({ interval: '0', size: '0', count: 0, idleTimeout: '0' });
    expect(p.full(file(1e12, 1e9, 0, 0))).to.equal(false);
    expect(p.expired(file(1, 1, 0, 0), 1e12)).to.equal(false);
    expect(p.checkEveryMs).to.equal(0);
  });
});

describe('OpenBuckets', () => {
  it('names the least recently used buckets beyond maxOpen', () => {
    const b = new OpenBuckets<number>(2);
    b.touch('a', 1);
    b.touch('b', 2);
    b.touch('c', 3);
    b.touch('a', 1);
    expect(b.overflow().map(([k]) => k)).to.deep.equal(['b']);
    expect(b.overflow(new Set(['b'])).map(([k]) => k)).to.deep.equal(['c']);
  });
});
