import { expect } from 'chai';
import { validateComponentConfig } from '@sluice/config';
import { errorCode, type Problem } from '@sluice/core';
import { createHarness } from '@sluice/testkit';
import { kafkaSource, type KafkaSourceConfig } from '../src/index.js';

/** A kafka source config with the schema's defaults; nothing connects until start(). */
function configOf(config: Record<string, unknown>): KafkaSourceConfig {
  const problems: Problem[] = [];
  const full = validateComponentConfig(kafkaSource, { brokers: ['localhost:9092'], ...config }, '', problems, false);
  expect(problems, 'the test config passes the schema').to.deep.equal([]);
  return full as unknown as KafkaSourceConfig;
}

describe('kafka source check()', () => {
  async function expectSameMistake(config: KafkaSourceConfig, path: string): Promise<Problem> {
    const problems = kafkaSource.check!(config);
    expect(problems.map((p) => p.path)).to.deep.equal([path]);
    const harness = await createHarness();
    let thrown: Error | undefined;
    try {
      kafkaSource.create(config, harness.sourceContext('r1'));
    } catch (error) {
      thrown = error as Error;
    }
    expect(errorCode(thrown), 'create() throws').to.equal('SLUICE_CONFIG_INVALID');
    expect(thrown!.message).to.equal(`Kafka source 'r1': ${problems[0]!.message}`);
    return problems[0]!;
  }

  it('reports neither topics nor topicPattern at /topics', async () => {
    const problem = await expectSameMistake(configOf({}), '/topics');
    expect(problem.message).to.equal('neither topics nor topicPattern is set; set one of them');
  });

  it('reports a topicPattern that is not a regular expression at /topicPattern (before start compiled it)', async () => {
    const problem = await expectSameMistake(configOf({ topicPattern: 'logs-(web|api' }), '/topicPattern');
    expect(problem.message).to.match(/^topicPattern 'logs-\(web\|api' is not a valid regular expression/);
  });

  it('finds nothing with topics or a valid topicPattern', () => {
    expect(kafkaSource.check!(configOf({ topics: ['logs'] }))).to.deep.equal([]);
    expect(kafkaSource.check!(configOf({ topicPattern: '^logs-(web|api)$' }))).to.deep.equal([]);
  });
});
