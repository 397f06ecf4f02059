import { expect } from 'chai';
import { MAX_DURATION_MS, MAX_SIZE_BYTES, parseDuration, parseSize } from '../src/index.js';

describe('units', () => {
  it('parseDuration reads ms, s, m, h, d and 0', () => {
    expect(parseDuration('250ms')).to.equal(250);
    expect(parseDuration('30s')).to.equal(30000);
    expect(parseDuration('1.5m')).to.equal(90000);
    expect(parseDuration('2h')).to.equal(7_200_000);
    expect(parseDuration('1d')).to.equal(86_400_000);
    expect(parseDuration('0')).to.equal(0);
  });

  it('parseSize reads binary and decimal units', () => {
    expect(parseSize('512B')).to.equal(512);
    expect(parseSize('64KiB')).to.equal(65536);
    expect(parseSize('128MiB')).to.equal(128 * 1024 * 1024);
    expect(parseSize('1GB')).to.equal(1e9);
    expect(parseSize('0')).to.equal(0);
  });

  it('rejects text that is not a duration or size with SLUICE_CONFIG_INVALID', () => {
    for (const bad of ['30', '5 minutes', 's', '-1s']) expect(() => parseDuration(bad)).to.throw().with.property('code', 'SLUICE_CONFIG_INVALID');
    for (const bad of ['1 megabyte', 'MiB', '-1']) expect(() => parseSize(bad)).to.throw().with.property('code', 'SLUICE_CONFIG_INVALID');
  });

  it('reads a bare number in the option\'s Flume unit: seconds or milliseconds for durations, bytes for sizes', () => {
    expect(parseDuration(30, 's')).to.equal(30000);
    expect(parseDuration('30', 's')).to.equal(30000);
    expect(parseDuration(0, 's')).to.equal(0);
    expect(parseDuration('250', 'ms')).to.equal(250);
    expect(parseDuration('5m', 's')).to.equal(300000);
    expect(parseSize(1048576)).to.equal(1048576);
    expect(parseSize('128')).to.equal(128);
  });

  it('refuses durations above 2^31 - 1 ms and sizes above 2^53 - 1 bytes, and never returns Infinity or NaN', () => {
    expect(parseDuration('24d')).to.equal(24 * 86_400_000);
    expect(parseDuration(String(MAX_DURATION_MS), 'ms')).to.equal(MAX_DURATION_MS);
    for (const bad of ['25d', `${'9'.repeat(400)}s`, '2147483648ms']) expect(() => parseDuration(bad), bad).to.throw(/too long a duration/).with.property('code', 'SLUICE_CONFIG_INVALID');
    expect(() => parseDuration('9'.repeat(400), 's')).to.throw().with.property('code', 'SLUICE_CONFIG_INVALID');
    for (const bad of [1e300, -1, Infinity, NaN]) expect(() => parseDuration(bad, 's'), String(bad)).to.throw().with.property('code', 'SLUICE_CONFIG_INVALID');
    expect(parseSize('8191TiB')).to.equal(8191 * 1024 ** 4);
    for (const bad of ['9'.repeat(30), '9000000TiB', `${'9'.repeat(400)}B`]) expect(() => parseSize(bad), bad).to.throw(/too large a size/).with.property('code', 'SLUICE_CONFIG_INVALID');
    expect(MAX_SIZE_BYTES).to.equal(Number.MAX_SAFE_INTEGER);
  });
});
