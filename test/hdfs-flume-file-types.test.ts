import { expect } from 'chai';
import { decompressHadoopStream as decompress, readSequenceFile, requirePeers } from '@sluice/testkit';
import { AgentProcess, TempDir } from './helpers/agent-process.js';
import { openHdfsView, type HdfsView } from './helpers/hdfs-view.js';

/** Flume's hdfs sink keys as users write them; only the namenode and the file type vary. */
function flumeConfig(url: string, user: string, root: string, fileTypeLines: string): string {
  return `
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.totalEvents = 2000
a1.sources.r1.channels = c1
a1.sources.r1.interceptors = ts
a1.sources.r1.interceptors.ts.type = timestamp
a1.channels.c1.type = memory
a1.channels.c1.capacity = 10000
a1.channels.c1.transactionCapacity = 1000
a1.sinks.k1.type = hdfs
a1.sinks.k1.channel = c1
a1.sinks.k1.url = ${url}
a1.sinks.k1.hdfs.path = hdfs://namenode:8020${root}/%Y-%m-%d
a1.sinks.k1.hdfs.proxyUser = ${user}
a1.sinks.k1.hdfs.filePrefix = events
a1.sinks.k1.hdfs.batchSize = 1000
a1.sinks.k1.hdfs.rollInterval = 1
a1.sinks.k1.hdfs.rollSize = 0
a1.sinks.k1.hdfs.rollCount = 0
${fileTypeLines}
`;
}

describe('Flume hdfs.fileType values run unchanged and produce files Hadoop reads', function () {
  this.timeout(60000);
  const tmp = new TempDir();
  let hdfs: HdfsView;
  before(async function () {
    requirePeers(this, 'hadoopCodecs');
    hdfs = await openHdfsView();
  });
  after(async () => {
    await hdfs?.close();
    tmp.cleanup();
  });

  const cases: [string, string, (file: Buffer) => string[]][] = [
    ['no fileType (Flume\'s default SequenceFile, Writable)', '', (file) => readSequenceFile(file).records.map((r) => r.value.toString())],
    ['SequenceFile, Text, snappy block compression', 'a1.sinks.k1.hdfs.fileType = SequenceFile\na1.sinks.k1.hdfs.writeFormat = Text\na1.sinks.k1.hdfs.codeC = snappy', (file) => readSequenceFile(file).records.map((r) => r.value.toString())],
    ['CompressedStream with org.apache.hadoop.io.compress.Lz4Codec', 'a1.sinks.k1.hdfs.fileType = CompressedStream\na1.sinks.k1.hdfs.codeC = org.apache.hadoop.io.compress.Lz4Codec', (file) => decompress('lz4', file).toString().split('\n').filter(Boolean)],
    ['DataStream, Text', 'a1.sinks.k1.hdfs.fileType = DataStream\na1.sinks.k1.hdfs.writeFormat = Text', (file) => file.toString().split('\n').filter(Boolean)],
  ];
  cases.forEach(([what, lines, read], i) => {
    it(what, async () => {
      const root = `/flume-types-${process.pid}-${i}`;
      const file = tmp.write(`flume-${i}.properties`, flumeConfig(hdfs.url, hdfs.user, root, lines));
      const agent = AgentProcess.start(file, 'a1');
      try {
        await agent.started();
        const deadline = Date.now() + 30000;
        let bodies: string[] = [];
        while (Date.now() < deadline) {
          const files = (await hdfs.listFiles(root)).filter((f) => !f.endsWith('.tmp'));
          bodies = (await Promise.all(files.map(async (f) => read(await hdfs.read(f))))).flat();
          if (bodies.length >= 2000) break;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        expect(bodies.map(Number).sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 2000 }, (_, k) => k));
      } finally {
        await agent.stop();
      }
    });
  });
});
