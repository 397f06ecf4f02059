import { expect } from 'chai';
import { builtinPlugin, defineComponent, type AnyComponentDefinition, type ComponentKind } from '@sluice/core';
import { parseTopology, validateTopology, type ComponentLookup } from '../src/index.js';

/** A stage type with a schema and a check(), so the validator's stage path is exercised for real. */
const passStage = defineComponent({
  kind: 'stage',
  type: 'pass',
  description: 'test stage',
  guarantee: 'test',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      batchSize: { type: 'integer', minimum: 1, default: 100, description: 'events per take' },
      keep: { type: 'string', default: 'all', description: 'which events' },
    },
    required: [],
  } as never,
  check: (config: { keep: string }) => (config.keep === 'none' ? [{ path: '/keep', message: 'keeps nothing' }] : []),
  create: () => { throw new Error('not started in validator tests'); },
});

const lookup: ComponentLookup = {
  find: (kind: ComponentKind, type: string): AnyComponentDefinition | undefined =>
    [...builtinPlugin.components, passStage].find((c) => c.kind === kind && c.type === type),
  types: (kind: ComponentKind) => [...builtinPlugin.components, passStage].filter((c) => c.kind === kind).map((c) => c.type),
};

const validate = (yaml: string) => validateTopology(parseTopology(yaml, 'topology.yaml', { env: {} }), lookup);

const agent = (stage: string) => `
agents:
  a1:
    sources: { r1: { type: seq, channels: [raw] } }
    channels: { raw: { type: memory }, results: { type: memory }, bad: { type: memory } }
    sinks: { k1: { type: 'null', channel: results }, k2: { type: 'null', channel: bad } }
    stages:
      s1: ${stage}
`;

describe('validateTopology: stages', () => {
  it('builds a stage model with its input, outputs, dead-letter channel and defaults', () => {
    const { model, problems } = validate(agent('{ type: pass, channel: raw, channels: [results], deadLetter: { channel: bad } }'));
    expect(problems).to.deep.equal([]);
    const stage = model!.agents.a1!.stages.s1!;
    expect(stage).to.deep.include({ name: 's1', type: 'pass', channel: 'raw', channels: ['results'], deadLetter: { channel: 'bad' } });
    expect(stage.config).to.deep.equal({ batchSize: 100, keep: 'all' });
  });

  it('reports unknown channels, results into the input, schema and check() problems under the stage path', () => {
    const { model, problems } = validate(agent('{ type: pass, channel: rwa, channels: [results, raw2], deadLetter: { channel: nope }, batchSize: 0 }'));
    expect(model).to.equal(undefined);
    expect(problems.map((p) => p.path)).to.have.members([
      '/agents/a1/stages/s1/channel',
      '/agents/a1/stages/s1/channels/1',
      '/agents/a1/stages/s1/deadLetter/channel',
      '/agents/a1/stages/s1/batchSize',
    ]);
    expect(problems.find((p) => p.path.endsWith('/channel'))!.hint).to.equal("did you mean 'raw'?");
    const second = validate(agent('{ type: pass, channel: raw, channels: [raw], keep: none }'));
    expect(second.problems.map((p) => [p.path, p.message])).to.deep.include.members([
      ['/agents/a1/stages/s1/channels/0', "the stage would put its results into its own input channel 'raw'"],
      ['/agents/a1/stages/s1/keep', 'keeps nothing'],
    ]);
  });

  it('reports a missing input, missing outputs and an unknown stage type', () => {
    const { problems } = validate(agent('{ type: sqll }'));
    expect(problems.map((p) => p.path)).to.include.members(['/agents/a1/stages/s1/type', '/agents/a1/stages/s1/channel', '/agents/a1/stages/s1/channels']);
    expect(problems.find((p) => p.path.endsWith('/type'))!.message).to.equal("unknown stage type 'sqll'");
  });
});
