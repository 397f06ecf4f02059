import { existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import { AgentProcess, TempDir } from './helpers/agent-process.js';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function lines(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => readFileSync(path.join(dir, f), 'utf8').split('\n').filter((l) => l !== ''));
}

describe('avro tier from Flume .properties files: a Flume-configured edge feeds a Flume-configured collector, as two sluice agent processes', function () {
  this.timeout(60000);
  const tmp = new TempDir();
  const agents: AgentProcess[] = [];
  after(async () => {
    await Promise.all(agents.map((a) => a.stop('SIGTERM', 20000)));
    tmp.cleanup();
  });

  it('moves every event through avro sink -> avro source configured with Flume keys (deflate on both ends)', async () => {
    const port = await freePort();
    const out = path.join(tmp.path, 'out');
    const collector = tmp.write('collector.properties', `
collector.sources = r1
collector.channels = c1
collector.sinks = k1
collector.sources.r1.type = avro
collector.sources.r1.bind = 127.0.0.1
collector.sources.r1.port = ${port}
collector.sources.r1.threads = 4
collector.sources.r1.compression-type = deflate
collector.sources.r1.channels = c1
collector.channels.c1.type = memory
collector.channels.c1.capacity = 10000
collector.channels.c1.transactionCapacity = 1000
collector.sinks.k1.type = file_roll
collector.sinks.k1.sink.directory = ${out}
collector.sinks.k1.sink.serializer = TEXT
collector.sinks.k1.channel = c1
`);
    const edge = tmp.write('edge.properties', `
edge.sources = r1
edge.channels = c1
edge.sinks = k1
edge.sources.r1.type = seq
edge.sources.r1.totalEvents = 2500
edge.sources.r1.batchSize = 100
edge.sources.r1.channels = c1
edge.channels.c1.type = memory
edge.channels.c1.capacity = 10000
edge.channels.c1.transactionCapacity = 1000
edge.sinks.k1.type = avro
edge.sinks.k1.hostname = 127.0.0.1
edge.sinks.k1.port = ${port}
edge.sinks.k1.batch-size = 300
edge.sinks.k1.connect-timeout = 5000
edge.sinks.k1.request-timeout = 5000
edge.sinks.k1.compression-type = deflate
edge.sinks.k1.compression-level = 9
edge.sinks.k1.maxIoWorkers = 2
edge.sinks.k1.channel = c1
`);
    const c = AgentProcess.start(collector, 'collector');
    agents.push(c);
    await c.started();
    const e = AgentProcess.start(edge, 'edge');
    agents.push(e);
    await e.started();
    const deadline = Date.now() + 30000;
    while (lines(out).length < 2500 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    const got = lines(out);
    expect(new Set(got).size).to.equal(2500);
    expect(got.every((l) => /^\d+$/.test(l)), got.find((l) => !/^\d+$/.test(l))).to.equal(true);
    expect((await e.stop()).code).to.equal(0);
    expect((await c.stop()).code).to.equal(0);
  });
});
