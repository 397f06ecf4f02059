import { expect } from 'chai';
import { parseTopology, type Problem, type RawTopology } from '@sluice/config';
import { loadTopology, type LoadedTopology } from '@sluice/agent';

/**
 * The vectors of Apache Flume's own configuration tests, in our terms: TestFlumeConfiguration and
 * TestAgentConfiguration (flume-ng-configuration) and TestAbstractConfigurationProvider
 * (flume-ng-node), at apache/flume 168caa6. Each Java test builds a Properties map and asserts
 * which components survive; here the same keys are a .properties text and we assert what Sluice
 * loads, warns about or refuses. Where Sluice differs on purpose (docs/flume-migration.md,
 * "Deliberate differences"), the test says so in its title.
 */

/** Properties as the Java tests put them, one `key = value` line each. */
const text = (properties: Record<string, string>): string => Object.entries(properties).map(([k, v]) => `${k} = ${v}`).join('\n');

type Outcome = { loaded?: LoadedTopology; problems: Problem[]; warnings: Problem[] };
async function load(source: string, agent?: string, env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  const raw: RawTopology = parseTopology(source, 'flume.properties', { env });
  try {
    const loaded = await loadTopology(raw, agent === undefined ? {} : { agent });
    return { loaded, problems: [], warnings: loaded.warnings };
  } catch (error) {
    return { problems: (error as { problems?: Problem[] }).problems ?? [], warnings: (error as { warnings?: Problem[] }).warnings ?? [] };
  }
}
const keysOf = (problems: readonly Problem[]): (string | undefined)[] => problems.map((p) => p.key);

describe("Flume's TestFlumeConfiguration vectors", () => {
  it('testFLUME1743: multiport_syslogtcp with ports and a config filter of type env load: 1 source, 1 channel, 1 sink', async () => {
    const { loaded, problems } = await load(text({
      'agent1.channels': 'ch0', 'agent1.channels.ch0.type': 'memory',
      'agent1.sources': 'src0', 'agent1.sources.src0.type': 'multiport_syslogtcp', 'agent1.sources.src0.channels': 'ch0',
      'agent1.sources.src0.host': 'localhost', 'agent1.sources.src0.ports': '10001 10002 10003', 'agent1.sources.src0.portHeader': 'port',
      'agent1.sinks': 'sink0', 'agent1.sinks.sink0.type': 'null', 'agent1.sinks.sink0.channel': 'ch0',
      'agent1.configfilters': 'f1', 'agent1.configfilters.f1.type': 'env',
    }));
    expect(problems).to.deep.equal([]);
    const agent = loaded!.model.agents.agent1!;
    expect([Object.keys(agent.sources), Object.keys(agent.channels), Object.keys(agent.sinks)]).to.deep.equal([['src0'], ['ch0'], ['sink0']]);
    expect(agent.sources.src0!.type).to.equal('syslog_tcp');
  });

  it('config filter env: ${f1[\'KEY\']} reads the environment; other filter types are refused', async () => {
    const base = { 'a.sources': 'r', 'a.channels': 'c', 'a.sinks': 'k', 'a.sources.r.type': 'netcat', 'a.sources.r.channels': 'c', 'a.sources.r.port': "${f1['NC_PORT']}", 'a.channels.c.type': 'memory', 'a.sinks.k.type': 'null', 'a.sinks.k.channel': 'c', 'a.configfilters': 'f1' };
    const env = await load(text({ ...base, 'a.configfilters.f1.type': 'env' }), undefined, { NC_PORT: '4545' });
    expect(env.problems).to.deep.equal([]);
    expect(env.loaded!.model.agents.a!.sources.r!.config.port).to.equal(4545);
    const external = await load(text({ ...base, 'a.configfilters.f1.type': 'external' }));
    expect(keysOf(external.problems)).to.include('a.configfilters.f1.type');
  });

  it('testFlumeConfigAddsErrorOnEmptyValue / OnNoAgentNameValue / OnEmptyAgentNameValue / OnEmptyPropertyName: keys of no agent are ignored, warned', async () => {
    const { problems, warnings } = await load(`something =\nsomething2 = value\n.something = value\nagent. = something\n${text({ 'a.channels': 'c', 'a.sinks': 'k', 'a.channels.c.type': 'memory', 'a.sinks.k.type': 'null', 'a.sinks.k.channel': 'c' })}`);
    expect(problems).to.deep.equal([]);
    expect(keysOf(warnings)).to.have.members(['something', 'something2', '.something', 'agent.']);
    for (const warning of warnings) expect(warning.message).to.contain('belongs to no agent');
  });

  it('testFlumeConfigAddsErrorOnInvalidConfig: agent.channel.c1 is an invalid property (warned), c1 has no type and the agent is invalid (errors)', async () => {
    const { problems, warnings } = await load(text({ 'agent.channels': 'c1', 'agent.channel.c1': 'cc1' }));
    expect(keysOf(warnings)).to.deep.equal(['agent.channel.c1']);
    expect(problems.map((p) => p.message)).to.include.members(['channel type is missing', 'the agent has neither a source nor a sink']);
  });

  it('(null keys and values of testFlumeConfigAdsErrorOnNullName / OnNullValue cannot occur in a .properties file)', () => {
    expect(parseTopology('=\n', 'x.properties').problems?.some((p) => p.severity !== 'warning')).to.equal(true);
  });
});

describe("Flume's TestAgentConfiguration vectors", () => {
  const AGENT = 'agent';
  const PROPERTIES: Record<string, string> = {
    'agent.sources': 's1 s2', 'agent.sources.s1.type': 's1_type', 'agent.sources.s1.channels': 'c1',
    'agent.sources.s2.type': 'jms', 'agent.sources.s2.channels': 'c2',
    'agent.channels': 'c1 c2', 'agent.channels.c1.type': 'c1_type', 'agent.channels.c2.type': 'memory',
    'agent.sinks': 'k1 k2', 'agent.sinks.k1.type': 'k1_type', 'agent.sinks.k2.type': 'null',
    'agent.sinks.k1.channel': 'c1', 'agent.sinks.k2.channel': 'c2',
    'agent.sinkgroups': 'g1', 'agent.sinkgroups.g1.sinks': 'k1 k2',
    'agent.configfilters': 'f1 f2', 'agent.configfilters.f1.type': 'f1_type', 'agent.configfilters.f2.type': 'env',
  };

  it('testSourcesAdded, testSinksAdded, testChannelsAdded, testSinkGroupsAdded and the *MappedCorrectly tests: every list and type is read', () => {
    const raw = parseTopology(text(PROPERTIES), 'flume.properties');
    const agent = (raw.data as { agents: Record<string, Record<string, Record<string, { type?: string; sinks?: string[] }>>> }).agents[AGENT]!;
    expect(Object.keys(agent.sources!)).to.deep.equal(['s1', 's2']);
    expect(Object.keys(agent.channels!)).to.deep.equal(['c1', 'c2']);
    expect(Object.keys(agent.sinks!)).to.deep.equal(['k1', 'k2']);
    expect(agent.sinkGroups!.g1!.sinks).to.deep.equal(['k1', 'k2']);
    expect([agent.sources!.s1!.type, agent.sources!.s2!.type, agent.channels!.c1!.type, agent.channels!.c2!.type, agent.sinks!.k1!.type, agent.sinks!.k2!.type])
      .to.deep.equal(['s1_type', 'jms', 'c1_type', 'memory', 'k1_type', 'null']);
  });

  it('testConfigHasNoErrors differs on purpose: types Sluice cannot load (s1_type, jms, c1_type, k1_type, filter f1_type) are errors, not dropped components', async () => {
    const { problems } = await load(text(PROPERTIES));
    expect(keysOf(problems)).to.include.members(['agent.sources.s1.type', 'agent.sources.s2.type', 'agent.channels.c1.type', 'agent.sinks.k1.type', 'agent.configfilters.f1.type']);
    expect(problems.find((p) => p.key === 'agent.sources.s2.type')!.message).to.equal("Flume's jms source has no Sluice counterpart");
  });

  const VALID: Record<string, string> = {
    'agent.sources': 's2', 'agent.sources.s2.type': 'seq', 'agent.sources.s2.channels': 'c2',
    'agent.channels': 'c2', 'agent.channels.c2.type': 'memory', 'agent.sinks': 'k2', 'agent.sinks.k2.type': 'null', 'agent.sinks.k2.channel': 'c2',
  };
  it('testNoChannelIsInvalid', async () => {
    const { problems } = await load(text({ ...VALID, 'agent.channels': '' }));
    expect(problems.map((p) => p.message)).to.include('the agent has no channel');
  });
  it('testNoSourcesIsValid', async () => {
    const { problems } = await load(text({ ...VALID, 'agent.sources': '' }).replace(/^agent\.sources\.s2.*$/gm, ''));
    expect(problems).to.deep.equal([]);
  });
  it('testNoSinksIsValid', async () => {
    const { problems } = await load(text({ ...VALID, 'agent.sinks': '' }).replace(/^agent\.sinks\.k2.*$/gm, ''));
    expect(problems).to.deep.equal([]);
  });
  it('testNoSourcesAndNoSinksIsInvalid', async () => {
    const { problems } = await load(text({ 'agent.channels': 'c2', 'agent.channels.c2.type': 'memory', 'agent.sources': '', 'agent.sinks': '' }));
    expect(problems.map((p) => p.message)).to.include('the agent has neither a source nor a sink');
  });
});

describe("Flume's TestAbstractConfigurationProvider vectors", () => {
  /** getProperties(agentName, sourceType, channelType, sinkType) of the Java test, with its batch-size keys. */
  const properties = (sourceBatch: string, sinkBatch: string): string => text({
    'a.sources': 'source1', 'a.channels': 'channel1', 'a.sinks': 'sink1',
    'a.sources.source1.type': 'seq', 'a.sources.source1.channels': 'channel1',
    'a.channels.channel1.type': 'memory', 'a.channels.channel1.capacity': '1000', 'a.channels.channel1.transactionCapacity': '1000',
    'a.sinks.sink1.type': 'avro', 'a.sinks.sink1.channel': 'channel1', 'a.sinks.sink1.hostname': '10.10.10.10', 'a.sinks.sink1.port': '1010',
    'a.sources.source1.batchSize': sourceBatch, 'a.sinks.sink1.batch-size': sinkBatch,
  });

  it('testSinkSourceMismatchDuringConfiguration: batch sizes equal to transactionCapacity load', async () => {
    const { problems } = await load(properties('1000', '1000'));
    expect(problems).to.deep.equal([]);
  });

  for (const [source, sink, refused] of [['1001', '1000', ['a.sources.source1.batchSize']], ['1000', '1001', ['a.sinks.sink1.batch-size']], ['1001', '1001', ['a.sources.source1.batchSize', 'a.sinks.sink1.batch-size']]] as const) {
    it(`testSinkSourceMismatchDuringConfiguration: source batchSize ${source}, sink batch-size ${sink} over transactionCapacity 1000 refuses ${refused.join(' and ')} (Flume drops it; Sluice names it)`, async () => {
      const { problems } = await load(properties(source, sink));
      expect(keysOf(problems)).to.have.members([...refused]);
      for (const problem of problems) expect(problem.message).to.match(/is larger than channel 'channel1' transactionCapacity 1000/);
    });
  }

  it('testSourceThrowsExceptionDuringConfiguration and friends differ on purpose: a component that cannot be configured makes the agent fail to load, with that component named', async () => {
    const { problems } = await load(text({ 'a.sources': 'r', 'a.channels': 'c', 'a.sinks': 'k', 'a.sources.r.type': 'netcat', 'a.sources.r.port': 'not-a-port', 'a.sources.r.channels': 'c', 'a.channels.c.type': 'memory', 'a.sinks.k.type': 'null', 'a.sinks.k.channel': 'c' }));
    expect(keysOf(problems)).to.deep.equal(['a.sources.r.port']);
  });
});
