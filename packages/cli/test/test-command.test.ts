import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { main } from '../src/cli.js';
import { Capture } from './capture.js';

const TOPOLOGY = `
agents:
  a1:
    sources:
      web:
        type: netcat
        port: 0
        channels: [gold, rest, audit]
        interceptors:
          - { type: regex_filter, regex: '^HEALTHCHECK', excludeEvents: true }
          - { type: static, key: dc, value: fra }
        selector: { type: multiplexing, header: tier, mapping: { gold: [gold] }, optional: { gold: [audit] }, default: [rest] }
    channels: { gold: { type: memory }, rest: { type: memory }, audit: { type: memory } }
    sinks:
      k1: { type: logger, channel: gold, batchSize: 1 }
      k2: { type: logger, channel: gold, batchSize: 1 }
      k3: { type: logger, channel: rest }
      k4: { type: "null", channel: audit }
    sinkGroups:
      g1: { sinks: [k1, k2], processor: { type: load_balance, selector: round_robin } }
`;

const PASSING = `
tests:
  - name: gold events go to gold and the optional audit channel, the rest to rest; healthchecks are dropped
    source: web
    input:
      - { body: a, headers: { tier: gold } }
      - HEALTHCHECK ok
      - { body: b, headers: { tier: gold } }
      - c
    expect:
      - channel: gold
        events:
          - { body: a, headers: { tier: gold, dc: fra } }
          - b
      - channel: audit
        events: [a, b]
      - channel: rest
        events:
          - { body: c, headers: { tier: { absent: true } } }
      - sink: k1
        events: [a]
      - sink: k2
        events: [b]
`;

describe('sluice test', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-test-cmd-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function run(name: string, topology: string, beside?: string, command = 'test'): Promise<{ code: number; out: string; err: string }> {
    const file = path.join(dir, `${name}.yaml`);
    writeFileSync(file, topology);
    if (beside !== undefined) writeFileSync(path.join(dir, `${name}.test.yaml`), beside);
    const out = new Capture();
    const err = new Capture();
    const code = await main([command, '-f', file], out, err);
    return { code, out: out.text, err: err.text };
  }

  it('passes tests written in the topology file, through the real interceptors, selector and load_balance group', async () => {
    const { code, out, err } = await run('inline', TOPOLOGY + PASSING);
    expect(err).to.equal('');
    expect(out).to.contain('  ok    gold events go to gold');
    expect(out).to.match(/1 test: 1 passed, 0 failed\n$/);
    expect(code).to.equal(0);
  });

  it('reads NAME.test.yaml beside the topology', async () => {
    const { code, out } = await run('beside', TOPOLOGY, PASSING);
    expect(out).to.contain('1 test (with beside.test.yaml)');
    expect(code).to.equal(0);
  });

  it('exits 1 and shows expected (-) and arrived (+) events for a wrong expectation', async () => {
    const wrong = PASSING.replace('events: [a, b]', 'events: [a, c]').replace('events: [b]', 'events: []');
    const { code, out } = await run('wrong', TOPOLOGY, wrong);
    expect(code).to.equal(1);
    expect(out).to.contain(`  FAIL  gold events go to gold and the optional audit channel, the rest to rest; healthchecks are dropped  [wrong.test.yaml /tests/0]
        channel 'audit': expected 2 events, 2 events arrived
            #1 body "a" {tier=gold, dc=fra}
          - #2 body equals "c"
          + #2 body "b" {tier=gold, dc=fra}
              body: expected equals "c"
        sink 'k2': expected 0 events, 1 event arrived
          - #1 (no event expected)
          + #1 body "b" {tier=gold, dc=fra}
1 test: 0 passed, 1 failed
`);
  });

  it('reports every mistake in the tests with its path, YAML traps named, and runs nothing', async () => {
    const bad = `
tests:
  - name: bad
    source: webb
    input: [{ body: x, headers: { urgent: true } }]
    expect:
      - channel: gold
        events: [{ body: { startsWith: x } }]
      - sink: k9
        events: []
`;
    const { code, out, err } = await run('bad', TOPOLOGY, bad);
    expect(code).to.equal(1);
    expect(out).to.equal('');
    expect(err).to.contain('bad.test.yaml: 2 problems in its tests');
    expect(err).to.contain('/tests/0/input/0/headers/urgent: must be a string, got the boolean true. Hint: quote it: urgent: "true"');
    expect(err).to.contain("/tests/0/expect/0/events/0/body/startsWith: unknown condition 'startsWith'");
    const refs = await run('refs', TOPOLOGY, bad.replace('urgent: true', 'urgent: "true"').replace('startsWith', 'contains'));
    expect(refs.err).to.contain("/tests/0/source: agent 'a1' has no source 'webb'. Hint: did you mean 'web'?");
    expect(refs.err).to.contain("/tests/0/expect/1/sink: agent 'a1' has no sink 'k9'");
    const validate = await run('refs', TOPOLOGY, undefined, 'validate');
    expect(validate.code).to.equal(1);
    expect(validate.err).to.contain("refs.test.yaml: 2 problems in its tests");
  });

  it('exits 1 when the topology has no tests, saying where to write them', async () => {
    const { code, err } = await run('none', TOPOLOGY);
    expect(code).to.equal(1);
    expect(err).to.contain('no tests; add a tests: list to it or write none.test.yaml beside it');
  });
});

describe('docs/cli.md', () => {
  it('its example topology validates and its tests pass', async () => {
    const docs = readFileSync(new URL('../../../../docs/cli.md', import.meta.url), 'utf8');
    const yaml = /```yaml\n([\s\S]*?)```/.exec(docs)![1]!;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-cli-doc-'));
    try {
      const file = path.join(dir, 'topology.yaml');
      writeFileSync(file, yaml);
      for (const command of ['validate', 'test']) {
        const out = new Capture();
        const err = new Capture();
        expect(await main([command, '-f', file], out, err)).to.equal(0, err.text + out.text);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
