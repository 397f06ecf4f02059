import os from 'node:os';
import { expect } from 'chai';
import { parseTopology, validateTopology } from '../src/index.js';
import { builtins } from './lookup.js';

const agent = (workers: string): string => `
agents:
  a1:
${workers === '' ? '' : `    workers: ${workers}\n`}    sources: { s: { type: netcat, port: 0, channels: [c] } }
    channels: { c: { type: memory } }
    sinks: { k: { type: logger, channel: c } }
`;

describe('an agent\'s workers: key', () => {
  it('is 1 when absent (the single-process agent)', () => {
    const { model, problems } = validateTopology(parseTopology(agent('')), builtins);
    expect(problems).to.deep.equal([]);
    expect(model!.agents.a1!.workers).to.equal(1);
  });

  it('takes a positive integer, and auto for the number of cores', () => {
    expect(validateTopology(parseTopology(agent('3')), builtins).model!.agents.a1!.workers).to.equal(3);
    expect(validateTopology(parseTopology(agent('auto')), builtins).model!.agents.a1!.workers).to.equal(os.availableParallelism());
  });

  for (const bad of ['0', '-2', '1.5', '"2"', 'many', '257', 'true']) {
    it(`rejects workers: ${bad} with the path and a hint`, () => {
      const { model, problems } = validateTopology(parseTopology(agent(bad)), builtins);
      expect(model).to.equal(undefined);
      expect(problems).to.have.length(1);
      expect(problems[0]!.path).to.equal('/agents/a1/workers');
      expect(problems[0]!.message).to.match(/^must be an integer from 1 to 256, or auto/);
      // A quoted number gets the YAML explanation (the quotes made it text).
      expect(problems[0]!.hint).to.equal(bad === '"2"' ? 'drop the quotes: workers: 2' : 'workers: 2, or workers: auto');
    });
  }

});
