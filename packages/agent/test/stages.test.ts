import { expect } from 'chai';
import { ConfigError, parseTopology } from '@sluice/config';
import { defineComponent, definePlugin, type SluiceEvent, type Stage, type StageContext } from '@sluice/core';
import { Agent, loadTopology, renderFlumeJson } from '../src/index.js';
import { Gate, gatePlugin, until } from './helpers.js';

/**
 * A stage that tags each event with a header and passes it on. It emits in `prepare`, so its
 * results are committed downstream before its take commits (the first branch of the stage rule).
 */
class TagStage implements Stage {
  readonly name: string;
  starts = 0;
  constructor(private readonly tag: string, private readonly ctx: StageContext) {
    this.name = ctx.name;
  }
  async start(): Promise<void> { this.starts++; }
  async stop(): Promise<void> {}
  async prepare(events: readonly SluiceEvent[]): Promise<void> {
    await this.ctx.emit(events.map((e) => ({ headers: { ...e.headers, tag: this.tag }, body: e.body })));
    this.ctx.metrics.inc('ResultEmittedCount', events.length);
  }
  async commit(): Promise<void> {}
  async rollback(): Promise<void> {}
  async advance(): Promise<'backoff'> { return 'backoff'; }
}

const tagPlugin = definePlugin({
  name: 'tag-test-plugin',
  core: '^0.1.0',
  components: [defineComponent<'stage', { tag: string; batchSize: number }>({
    kind: 'stage', type: 'tag', description: 'test stage', guarantee: 'test only',
    schema: {
      type: 'object', additionalProperties: false, required: ['tag', 'batchSize'],
      properties: { tag: { type: 'string', description: 'tag', default: 'x' }, batchSize: { type: 'integer', minimum: 1, default: 50, description: 'batch' } },
    },
    // The asynchronous check: loadTopology runs it after validation passed.
    verify: async (config) => (config.tag === 'forbidden' ? [{ path: '/tag', message: 'this tag is taken' }] : []),
    create: (config, ctx) => new TagStage(config.tag, ctx),
  })],
});

const topology = (tag: string): string => `
agents:
  a1:
    sources: { gen: { type: seq, count: 200, batchSize: 20, bodySize: 8, channels: [raw] } }
    channels: { raw: { type: memory }, tagged: { type: memory } }
    stages:
      tagger: { type: tag, tag: ${tag}, channel: raw, channels: [tagged] }
    sinks:
      out: { type: gate, channel: tagged, batchSize: 10 }
`;

async function load(yaml: string, gate: Gate) {
  const { model, catalog } = await loadTopology(parseTopology(yaml), { agent: 'a1', extraPlugins: [gatePlugin(gate), tagPlugin] });
  return { model: model.agents.a1!, catalog };
}

describe('Agent with stages', () => {
  let agent: Agent | undefined;
  afterEach(async () => {
    await agent?.stop(0);
    agent = undefined;
  });

  it('runs a stage between its channels and reports it as STAGE.name at /metrics', async () => {
    const gate = new Gate();
    gate.open = true;
    const { model, catalog } = await load(topology('blue'), gate);
    agent = new Agent(model, catalog);
    await agent.start();
    await until(() => gate.written.length === 200, 'every event through the stage');
    const metrics = renderFlumeJson(agent.metrics)['STAGE.tagger']!;
    expect(metrics.EventTakeSuccessCount).to.equal('200');
    expect(metrics.ResultEmittedCount).to.equal('200');
    expect(agent.stages.has('tagger')).to.equal(true);
  });

  it('reload restarts a stage whose config changed, and nothing else', async () => {
    const gate = new Gate();
    gate.open = true;
    const first = await load(topology('blue'), gate);
    agent = new Agent(first.model, first.catalog);
    await agent.start();
    await until(() => gate.written.length === 200, 'the first run');
    const before = agent.stages.get('tagger')!.stage;
    const sources = agent.sources.get('gen')!.source;
    const next = await load(topology('green'), gate);
    const result = await agent.reload(next.model, next.catalog);
    expect(result.plan).to.deep.include({ stopStages: ['tagger'], startStages: ['tagger'], stopSources: [], stopChannels: [], stopSinkUnits: [] });
    expect(agent.stages.get('tagger')!.stage).to.not.equal(before);
    expect(agent.sources.get('gen')!.source).to.equal(sources);
    expect(renderFlumeJson(agent.metrics)['STAGE.tagger']).to.not.equal(undefined);
  });

  it('stop drains the stage before the sinks: events taken by the stage reach the sink', async () => {
    const gate = new Gate();
    gate.open = true;
    const { model, catalog } = await load(topology('blue'), gate);
    agent = new Agent(model, catalog);
    await agent.start();
    const stageMetrics = agent.metrics.find((m) => m.kind === 'STAGE' && m.name === 'tagger')!;
    await until(() => stageMetrics.get('EventTakeSuccessCount') > 0, 'the stage to take something');
    await agent.stop(5000);
    expect(agent.channels.size, 'channels stopped').to.equal(0);
    expect(stageMetrics.get('ResultEmittedCount')).to.be.greaterThan(0);
    expect(gate.written.length, 'the sink drained everything the stage emitted').to.equal(stageMetrics.get('ResultEmittedCount'));
  });

  it('loadTopology reports a stage verify() problem with the stage path', async () => {
    const gate = new Gate();
    try {
      await load(topology('forbidden'), gate);
      expect.fail('loadTopology should reject');
    } catch (error) {
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as ConfigError).problems).to.deep.equal([{ path: '/agents/a1/stages/tagger/tag', message: 'this tag is taken' }]);
    }
  });
});
