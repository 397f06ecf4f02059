import { expect } from 'chai';
import { parseDuration, parseSize } from '../src/index.js';

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
    for (const bad of ['128', '1 megabyte', 'MiB']) expect(() => parseSize(bad)).to.throw().with.property('code', 'SLUICE_CONFIG_INVALID');
  });
});
