import { expect } from 'chai';
import { MAX_DURATION_MS, MAX_SIZE_BYTES, parseDuration, parseSize, SluiceError } from '@sluice/core';
import { validateTopology } from '@sluice/config';
import type { ComponentCatalog } from '@sluice/agent';
import { fc, fuzzTarget, onlySluiceErrors } from '@sluice/testkit';
import { fullCatalog, REGRESSIONS } from './config-fuzz-support.js';

/** Digits, a fraction, spaces and a unit: the shapes the duration and size patterns accept, and near misses. */
const amountText = fc.tuple(
  fc.oneof(fc.stringMatching(/^[0-9]{1,3}$/), fc.stringMatching(/^[0-9]{1,420}$/), fc.constantFrom('0', '00', '9007199254740993', '2147483647', '2147483648', '24', '25', '1e400')),
  fc.option(fc.stringMatching(/^\.[0-9]{1,20}$/), { nil: '' }),
  fc.constantFrom('', ' ', '  '),
  fc.constantFrom('', 'ms', 's', 'm', 'h', 'd', 'B', 'b', 'KB', 'KiB', 'MiB', 'GB', 'GiB', 'TB', 'TiB', 'tib', 'PiB', 'x'),
).map(([digits, fraction, space, unit]) => `${digits}${fraction}${space}${unit}`);
const amount = fc.oneof(amountText, fc.double(), fc.constantFrom(0, 1, 2 ** 31, 2 ** 53, 1e300, Number.MAX_VALUE));

const within = (value: number, max: number): void => {
  expect(Number.isFinite(value), `${value} is finite`).to.equal(true);
  expect(value).to.be.at.least(0).and.at.most(max);
};

/**
 * A duration or size either parses to a finite number within Sluice's bounds (2^31 - 1 ms, 2^53
 * - 1 bytes) or is refused: by parseDuration/parseSize with SLUICE_CONFIG_INVALID, and, in a
 * topology, as a problem at the option's path. What the schema lets through always parses.
 */
describe('durations and sizes @fuzz', () => {
  let catalog: ComponentCatalog;
  before(async () => { catalog = await fullCatalog(); });

  it('parseDuration and parseSize give a finite, bounded number or SLUICE_CONFIG_INVALID', async () => {
    await fuzzTarget('amount-parsers', [amount], (value) => {
      for (const unit of [undefined, 's', 'ms'] as const) {
        const ms = onlySluiceErrors(() => parseDuration(value, unit));
        if (ms instanceof SluiceError) expect(ms.code).to.equal('SLUICE_CONFIG_INVALID');
        else within(ms, MAX_DURATION_MS);
      }
      const bytes = onlySluiceErrors(() => parseSize(value));
      if (bytes instanceof SluiceError) expect(bytes.code).to.equal('SLUICE_CONFIG_INVALID');
      else within(bytes, MAX_SIZE_BYTES);
    }, { regressions: REGRESSIONS });
  });

  it('a duration or size option the validator accepts parses within bounds; a refused one is a problem at its path', async () => {
    await fuzzTarget('amount-options', [amount, amount, amount, amount], (keepAlive, byteCapacity, rollInterval, rollSize) => {
      const options = { keepAlive, byteCapacity, rollInterval, rollSize };
      const data = {
        agents: {
          a: {
            drainTimeout: rollInterval,
            sources: { s: { type: 'seq', channels: ['c'] } },
            channels: { c: { type: 'memory', keepAlive, byteCapacity } },
            sinks: { k: { type: 'file_roll', channel: 'c', directory: '/tmp/sluice-fuzz-never-created', rollInterval, rollSize } },
          },
        },
      };
      const result = validateTopology({ data, format: 'yaml' }, catalog);
      const refused = new Set(result.problems.map((p) => p.path));
      for (const problem of result.problems) expect(problem.path).to.match(/^\/agents\/a\//);
      const at: Record<keyof typeof options, string> = { keepAlive: '/agents/a/channels/c/keepAlive', byteCapacity: '/agents/a/channels/c/byteCapacity', rollInterval: '/agents/a/sinks/k/rollInterval', rollSize: '/agents/a/sinks/k/rollSize' };
      for (const [key, value] of Object.entries(options) as [keyof typeof options, string | number][]) {
        if (refused.has(at[key])) continue;
        if (key === 'byteCapacity' || key === 'rollSize') within(parseSize(value), MAX_SIZE_BYTES);
        else within(parseDuration(value, 's'), MAX_DURATION_MS);
      }
      if (result.model) within(result.model.agents.a!.drainTimeoutMs, MAX_DURATION_MS);
    }, { regressions: REGRESSIONS });
  });
});
