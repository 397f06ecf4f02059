import { expect } from 'chai';
import { builtinPlugin, type AnyComponentDefinition, type PluginDefinition } from '@sluice/core';
import { FLUME_COMPONENT_KEYS, translateFlumeComponent, type Problem } from '@sluice/config';

const FIRST_PARTY = ['@sluice/channel-file', '@sluice/plugin-avro', '@sluice/plugin-file', '@sluice/plugin-hdfs', '@sluice/plugin-http', '@sluice/plugin-kafka', '@sluice/plugin-syslog'];

/**
 * Every key of Flume 1.11's own components that Sluice has, per the Flume User Guide (1.10.1 text,
 * apache/flume a0da8e3^) and the components' sources: each must be mapped onto an option, or
 * explained by a warning or a refusal. None may fall through to the generic "is not a key of".
 */
const FLUME_KEYS = Object.fromEntries(Object.entries(FLUME_COMPONENT_KEYS).map(([component, keys]) => [component, keys.join(' ')]));

/** Values that make the translation take its usual path (a Flume file would have them). */
const VALUES: Record<string, string> = { port: '5140', ports: '5140', 'filegroups': 'f1', serializers: 's1', 'hdfs.fileType': 'CompressedStream', 'hdfs.codeC': 'gzip', 'hdfs.path': 'hdfs://nn:8020/x' };

describe('every key of Flume 1.11\'s own components is mapped or explained', () => {
  let components: AnyComponentDefinition[] = [];
  before(async () => {
    const plugins = await Promise.all(FIRST_PARTY.map(async (name) => ((await import(name)) as { default: PluginDefinition }).default));
    components = [builtinPlugin, ...plugins].flatMap((p) => [...p.components]);
  });

  for (const [component, keys] of Object.entries(FLUME_KEYS)) {
    it(`${component}: ${keys.split(' ').length} Flume keys`, () => {
      const [kind, type] = component.split(' ');
      const definition = components.find((c) => c.kind === kind && c.type === type);
      expect(definition, component).to.not.equal(undefined);
      const properties: Record<string, string> = {};
      for (const key of keys.split(' ')) properties[key] = VALUES[key] ?? 'x';
      const problems: Problem[] = [];
      translateFlumeComponent(definition!, { prefix: 'a1.x.', properties }, '/agents/a1/x', problems);
      const unexplained = problems.filter((p) => /is not a key of/.test(p.message)).map((p) => p.key);
      expect(unexplained, `${component}: Flume keys neither mapped nor explained`).to.deep.equal([]);
    });
  }
});
