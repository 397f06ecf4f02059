import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { SLUICE_BIN, TempDir } from './helpers/agent-process.js';

function sluice(...args: string[]) {
  return spawnSync(process.execPath, [SLUICE_BIN, ...args], { encoding: 'utf8' });
}

const CORPUS = new URL('../../test/fixtures/flume-corpus/', import.meta.url).pathname;
/** Flume's own multi-agent test file (flume-ng-node/src/test/resources/flume-conf.properties): host1 is valid, host2..host5 are not. */
const MULTI_AGENT = path.join(CORPUS, '02-apache-flume-conf.properties');

describe('sluice validate, agent and migrate with Flume files', () => {
  const dir = new TempDir();
  after(() => dir.cleanup());

  it('validate -n host1 checks only host1 and says how many agents it skipped', () => {
    const result = sluice('validate', '-f', MULTI_AGENT, '-n', 'host1');
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.contain("agent 'host1': 1 sources, 1 channels, 1 sinks");
    expect(result.stdout).to.contain('4 other agents in the file not checked: host2, host3, host4, host5');
  });

  it('validate without -n groups the problems per agent', () => {
    const result = sluice('validate', '-f', MULTI_AGENT);
    expect(result.status).to.equal(1);
    for (const agent of ['host2', 'host3', 'host4', 'host5']) expect(result.stderr).to.match(new RegExp(`^agent '${agent}': \\d+ errors?`, 'm'));
    expect(result.stderr).to.not.match(/^agent 'host1'/m);
  });

  it('validate prints warnings and exits 0; --strict makes them errors', () => {
    const file = dir.write('typo.properties', 'a1.sources = r1\na1.channels = c1\na1.sinks = k1\na1.sources.r1.type = seq\na1.sources.r1.channels = c1\na1.channels.c1.type = memory\na1.channels.c1.transactionCapactiy = 10\na1.sinks.k1.type = logger\na1.sinks.k1.channel = c1\n');
    const lenient = sluice('validate', '-f', file);
    expect(lenient.status).to.equal(0);
    expect(lenient.stdout).to.contain('valid with 1 warning');
    expect(lenient.stdout).to.contain("warning: /agents/a1/channels/c1/transactionCapactiy (a1.channels.c1.transactionCapactiy): is not a key of channel type 'memory'");
    expect(lenient.stdout).to.contain("did you mean 'transactionCapacity'?");
    const strict = sluice('validate', '-f', file, '--strict');
    expect(strict.status).to.equal(1);
    expect(strict.stderr).to.contain('1 problem');
    expect(strict.stderr).to.contain('a1.channels.c1.transactionCapactiy');
  });

  it('migrate writes YAML with the warnings as comments, and the YAML validates', () => {
    const source = path.join(CORPUS, '25-eranwitkon-flume-regex.properties');
    const out = path.join(dir.path, 'migrated.yaml');
    const result = sluice('migrate', source, '--out', out);
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.contain('4 warnings left as comments');
    const yaml = readFileSync(out, 'utf8');
    expect(yaml).to.match(/# warning: agentTest\.channels\.memoryChannel\.transactioncapacity: is not a key .*did you mean 'transactionCapacity'\?\n\s+memoryChannel:/);
    expect(yaml).to.contain('# warning: agentTest.sinks.sampleHDFSSink.hdfs.inUsePrefix');
    const topology = parse(yaml) as { agents: Record<string, { sinks: Record<string, Record<string, unknown>> }> };
    expect(topology.agents.agentTest!.sinks.sampleHDFSSink).to.include({ type: 'hdfs', url: 'http://localhost:9870', batchSize: 100 });
    const validated = sluice('validate', '-f', out);
    expect(validated.status, validated.stderr).to.equal(0);
    expect(validated.stdout).to.not.contain('warning');
  });

  it('migrate of a file with errors lists them and writes nothing', () => {
    const result = sluice('migrate', path.join(CORPUS, '19-deniscoady-flume.properties'));
    expect(result.status).to.equal(1);
    expect(result.stdout).to.equal('');
    expect(result.stderr).to.contain('com.deniscoady.flume.websocket.WebSocketSource is a Flume plugin written in Java; Sluice cannot load JVM classes. Hint: port it as an npm plugin (`sluice new plugin`) or remove it');
  });
});
