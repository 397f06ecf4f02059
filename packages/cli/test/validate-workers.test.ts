import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { validateCommand } from '../src/commands/validate-command.js';
import { Capture } from './capture.js';

describe('sluice validate with workers', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-validate-workers-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const write = (workers: string): string => {
    const file = path.join(dir, `w${workers}.yaml`);
    writeFileSync(file, `
agents:
  edge:
    workers: ${workers}
    sources:
      net: { type: netcat, port: 0, channels: [c] }
      gen: { type: seq, count: 1, channels: [c] }
      input: { type: stdin, channels: [c] }
    channels: { c: { type: memory } }
    sinks: { k: { type: logger, channel: c } }
`);
    return file;
  };

  it('says which sources run in every worker and which in worker 0 only', async () => {
    const out = new Capture();
    expect(await validateCommand(write('3'), {}, out, new Capture())).to.equal(0);
    expect(out.text.split('\n')[1]).to.equal("agent 'edge': 3 workers; every worker: net; worker 0 only: gen, input (these sources cannot be sharded)");
  });

  it('prints nothing about workers for a single-process agent', async () => {
    const out = new Capture();
    expect(await validateCommand(write('1'), {}, out, new Capture())).to.equal(0);
    expect(out.text.trim().split('\n')).to.have.length(1);
    expect(out.text).to.not.contain('worker 0 only');
  });

  it('fails on a bad workers value with the path', async () => {
    const err = new Capture();
    expect(await validateCommand(write('zero'), {}, new Capture(), err)).to.equal(1);
    expect(err.text).to.contain('/agents/edge/workers');
    expect(err.text).to.contain('must be an integer from 1 to 256, or auto');
  });
});
