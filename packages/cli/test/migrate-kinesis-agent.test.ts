import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { parse } from 'yaml';
import { main } from '../src/cli.js';
import { convertKinesisAgentConfig, parseKinesisAgentJson } from '../src/commands/migrate-kinesis-agent.js';
import { Capture } from './capture.js';

/** The Kinesis Agent's own sample configurations, verbatim (see fixtures/kinesis-agent/SOURCE.md). */
const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/kinesis-agent');
const fixture = (name: string): string => path.join(FIXTURES, name);

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new Capture();
  const err = new Capture();
  const code = await main(argv, out, err);
  return { code, out: out.text, err: err.text };
}

type Topology = { agents: Record<string, { sources: Record<string, Record<string, unknown>>; channels: Record<string, unknown>; sinks: Record<string, Record<string, unknown>> }> };

describe('sluice migrate kinesis-agent', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-migrate-'));
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  before(() => {
    // The converted topologies read explicit keys from the environment.
    process.env.AWS_ACCESS_KEY_ID = 'AKIAEXAMPLEEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'example-secret';
  });
  after(() => {
    for (const [key, value] of [['AWS_ACCESS_KEY_ID', saved.id], ['AWS_SECRET_ACCESS_KEY', saved.secret]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  for (const name of ['example-agent.json', 'release-aws-kinesis-agent.json', 'agentconfig1.json']) {
    it(`converts the Kinesis Agent sample ${name} into a topology that sluice validate accepts`, async () => {
      const converted = await run('migrate', 'kinesis-agent', fixture(name));
      expect(converted.err).to.equal('');
      expect(converted.code).to.equal(0);
      const file = path.join(dir, `${name}.yaml`);
      writeFileSync(file, converted.out);
      const validated = await run('validate', '-f', file);
      expect(validated.err, validated.err).to.equal('');
      expect(validated.code).to.equal(0);
      expect(validated.out).to.include("agent 'kinesis-agent'");
    });
  }

  it('maps the documented example: flows, CSVTOJSON with a tab, LOGTOJSON, initialPosition, the region of the endpoint, no secret', async () => {
    const { out } = await run('migrate', 'kinesis-agent', fixture('example-agent.json'));
    expect(out).to.not.include('SECRETKEY').and.not.include('ACCESSKEY');
    const agent = (parse(out) as Topology).agents['kinesis-agent']!;
    expect(agent.sources['flow-1']).to.deep.include({
      type: 'taildir', filegroups: { 'flow-1': '/tmp/aws-kinesis-agent-test1.log*' }, skipToEnd: true,
      interceptors: [{ type: 'csv_to_json', customFieldNames: ['field1', 'field2', 'field3'], delimiter: '\t' }],
    });
    expect(agent.sources['flow-2']).to.deep.include({ skipToEnd: false, interceptors: [{ type: 'log_to_json', logFormat: 'COMMONAPACHELOG' }] });
    expect(agent.sinks['flow-1']).to.deep.equal({
      channel: 'flow-1', type: 'kinesis', streamName: 'aws-kinesis-agent-test1', appendNewline: true, region: 'us-west-2',
      accessKeyId: '${AWS_ACCESS_KEY_ID}', secretAccessKey: '${AWS_SECRET_ACCESS_KEY}',
    });
    expect(agent.channels['flow-1']).to.deep.equal({ type: 'file' });
    expect(out).to.match(/# .*userDefinedCredentialsProvider\.classname: a Java credentials provider cannot run in Sluice/);
  });

  it('maps the release configuration: one kinesis flow (RANDOM keys) and one firehose flow', async () => {
    const agent = (parse((await run('migrate', 'kinesis-agent', fixture('release-aws-kinesis-agent.json'))).out) as Topology).agents['kinesis-agent']!;
    expect(agent.sinks['flow-1']).to.deep.equal({ channel: 'flow-1', type: 'kinesis', streamName: 'yourkinesisstream', appendNewline: true });
    expect(agent.sinks['flow-2']).to.deep.equal({ channel: 'flow-2', type: 'firehose', deliveryStreamName: 'yourdeliverystream', appendNewline: true });
  });

  it('reads the agent\'s commented JSON and keeps the Java-only settings out, with a note', () => {
    const config = parseKinesisAgentJson(readFileSync(fixture('agentconfig1.json'), 'utf8'));
    const migration = convertKinesisAgentConfig(config);
    expect(migration.problems).to.deep.equal([]);
    expect(migration.notes.join('\n')).to.include('maxSendingThreads').and.include('cloudwatch.tagInstance').and.include('maxBufferAgeMillis');
    expect(migration.topology.agents['kinesis-agent']!.sinks['flow-1']).to.deep.include({ type: 'firehose', deliveryStreamName: 'fh1', region: 'us-east-1', requestTimeout: '1234ms' });
  });

  it('maps multiLineStartPattern, minTimeBetweenFilePollsMillis, maxBufferSizeRecords, retryMaxBackoffMillis, shutdownTimeoutMillis and SINGLELINE', () => {
    const migration = convertKinesisAgentConfig({
      shutdownTimeoutMillis: 20000,
      flows: [{ filePattern: '/var/log/app/*.log', kinesisStream: 's', multiLineStartPattern: '^\\d{4}-', minTimeBetweenFilePollsMillis: 250, maxBufferSizeRecords: 200, retryMaxBackoffMillis: 3000, dataProcessingOptions: [{ optionName: 'SINGLELINE' }] }],
    });
    expect(migration.problems).to.deep.equal([]);
    const agent = migration.topology.agents['kinesis-agent']!;
    expect(agent.drainTimeout).to.equal('20000ms');
    expect(agent.sources['flow-1']).to.deep.include({ multilineStartPattern: '^\\d{4}-', pollInterval: '250ms', interceptors: [{ type: 'single_line' }] });
    expect(agent.sinks['flow-1']).to.deep.include({ batchSize: 200, maxBackoff: '3000ms' });
  });

  const refusals: [string, unknown, string, RegExp][] = [
    ['DETERMINISTIC partition keys', { flows: [{ filePattern: '/a', kinesisStream: 's', partitionKeyOption: 'DETERMINISTIC' }] }, '/flows/0/partitionKeyOption', /MD5 of each record/],
    ['skipHeaderLines', { flows: [{ filePattern: '/a', deliveryStream: 'd', skipHeaderLines: 1 }] }, '/flows/0/skipHeaderLines', /header lines/],
    ['ADDEC2METADATA', { flows: [{ filePattern: '/a', deliveryStream: 'd', dataProcessingOptions: [{ optionName: 'ADDEC2METADATA' }] }] }, '/flows/0/dataProcessingOptions/0/optionName', /EC2 instance metadata/],
    ['PRETTYPRINT JSON', { flows: [{ filePattern: '/a', deliveryStream: 'd', dataProcessingOptions: [{ optionName: 'LOGTOJSON', logFormat: 'SYSLOG', jsonFormat: 'PRETTYPRINT' }] }] }, '/flows/0/dataProcessingOptions/0/jsonFormat', /compact JSON/],
    ['a regular expression delimiter', { flows: [{ filePattern: '/a', deliveryStream: 'd', dataProcessingOptions: [{ optionName: 'CSVTOJSON', customFieldNames: ['a'], delimiter: '[,;]' }] }] }, '/flows/0/dataProcessingOptions/0/delimiter', /Java regular expression/],
    ['assumeRoleARN', { assumeRoleARN: 'arn:aws:iam::1:role/r', flows: [{ filePattern: '/a', deliveryStream: 'd' }] }, '/assumeRoleARN', /role_arn in a profile/],
    ['a flow with both destinations', { flows: [{ filePattern: '/a', deliveryStream: 'd', kinesisStream: 's' }] }, '/flows/0', /exactly one of kinesisStream and deliveryStream/],
    ['an unknown key', { flows: [{ filePattern: '/a', deliveryStream: 'd', fileNamePattern: 'x' }] }, '/flows/0/fileNamePattern', /not a Kinesis Agent flow setting/],
  ];
  for (const [what, config, at, message] of refusals) {
    it(`refuses ${what} with its reason and path`, () => {
      const { problems } = convertKinesisAgentConfig(config);
      expect(problems.map((p) => p.path)).to.deep.equal([at]);
      expect(problems[0]!.message).to.match(message);
    });
  }

  it('exits 1 and prints nothing on stdout when something cannot be converted (the agent\'s endpoint-only test config has no flows)', async () => {
    const { code, out, err } = await run('migrate', 'kinesis-agent', path.join(dir, 'only-endpoint.json'));
    expect(code).to.equal(1);
    expect(out).to.equal('');
    expect(err).to.include('cannot read');
    writeFileSync(path.join(dir, 'only-endpoint.json'), '{\n  "kinesis.endpoint": "kinesis.us-east-1.amazonaws.com"\n}\n');
    const second = await run('migrate', 'kinesis-agent', path.join(dir, 'only-endpoint.json'));
    expect(second.code).to.equal(1);
    expect(second.out).to.equal('');
    expect(second.err).to.include('/flows: there are no flows');
  });
});
