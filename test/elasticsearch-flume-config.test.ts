import { expect } from 'chai';
import { BulkTestServer } from '@sluice/testkit';
import { AgentProcess, TempDir } from './helpers/agent-process.js';

describe('a Flume ElasticSearchSink configuration runs unchanged against a bulk API server', function () {
  this.timeout(60000);
  const tmp = new TempDir();
  let server: BulkTestServer | undefined;
  let agent: AgentProcess | undefined;
  after(async () => {
    await agent?.stop('SIGTERM', 20000);
    await server?.stop();
    tmp.cleanup();
  });

  it('indexes every generated event once in the daily index, across a server restart and refused items', async () => {
    server = await BulkTestServer.start();
    const port = new URL(server.url).port;
    // Every 50th document is refused once with 429 (a busy node), the rest indexed at once.
    const refused = new Set<string>();
    server.failItems(({ source }) => {
      const body = String((source as Record<string, unknown>).body);
      if (Number(body) % 50 !== 0 || refused.has(body)) return undefined;
      refused.add(body);
      return 429;
    });
    // As Flume users wrote it: the transport port, a cluster name, an index type and a TTL.
    const file = tmp.write('flume.properties', `
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.totalEvents = 3000
a1.sources.r1.channels = c1
a1.sources.r1.interceptors = ts
a1.sources.r1.interceptors.ts.type = timestamp
a1.channels.c1.type = memory
a1.channels.c1.capacity = 10000
a1.channels.c1.transactionCapacity = 1000
a1.sinks.k1.type = org.apache.flume.sink.elasticsearch.ElasticSearchSink
a1.sinks.k1.hostNames = 127.0.0.1:${port}
a1.sinks.k1.client = rest
a1.sinks.k1.indexName = foo_index
a1.sinks.k1.indexType = bar_type
a1.sinks.k1.clusterName = foobar_cluster
a1.sinks.k1.batchSize = 500
a1.sinks.k1.ttl = 5d
a1.sinks.k1.serializer = org.apache.flume.sink.elasticsearch.ElasticSearchDynamicSerializer
a1.sinks.k1.channel = c1
`);
    // The node is down when the agent starts: the first batches fail and roll back.
    await server.stop();
    agent = AgentProcess.start(file, 'a1');
    await agent.started();
    await agent.waitForLog((l) => /ECONNREFUSED|failed/.test(JSON.stringify(l)) && l.component === 'k1');
    expect(server.documents()).to.have.length(0);
    await server.restart();
    const deadline = Date.now() + 30000;
    while (server.documents().length < 3000 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    const bodies = server.documents().map((d) => Number(d.source.body)).sort((a, b) => a - b);
    expect(bodies).to.deep.equal(Array.from({ length: 3000 }, (_, i) => i));
    const today = new Date().toISOString().slice(0, 10);
    expect(server.indices()).to.satisfy((names: string[]) => names.every((n) => n.startsWith('foo_index-')) && names.some((n) => n.endsWith(today)));
    expect(refused.size).to.equal(60);
  });
});
