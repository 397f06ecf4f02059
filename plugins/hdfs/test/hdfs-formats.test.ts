import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createEvent, createSerializer, ROLL_DEFAULTS, type SluiceEvent } from '@sluice/core';
import { createHarness, decompressHadoopStream as decompress, putAll, readSequenceFile, requirePeers } from '@sluice/testkit';
import { CodecSerializer, hadoopCodec, hdfsSink, SequenceFileSerializer, writeVLong, type HadoopCodecName, type HdfsSinkConfig } from '../src/index.js';
import { startHdfsPeer, type HdfsPeer } from './hdfs-peer.js';


const CODECS: Exclude<HadoopCodecName, 'none'>[] = ['gzip', 'bzip2', 'snappy', 'lz4'];

const events = (n: number, from = 0): SluiceEvent[] => Array.from({ length: n }, (_, i) => {
  const k = from + i;
  // Binary bodies (a zero byte, bytes that are not UTF-8) survive as BytesWritable.
  return createEvent(Buffer.concat([Buffer.from(`event-${k} `), Buffer.from([0, 0xff, k % 256]), Buffer.from('x'.repeat(k % 97))]), { timestamp: String(1700000000000 + k) });
});

describe('hdfs file formats, read back by an independent reader', function () {
  this.timeout(30000);
  before(function () { requirePeers(this, 'hadoopCodecs'); });

  it('writes Hadoop VInts as WritableUtils.writeVLong defines them', () => {
    const vectors: [number, string][] = [[0, '00'], [127, '7f'], [-112, '90'], [-113, '8770'], [128, '8f80'], [255, '8fff'], [256, '8e0100'], [-1, 'ff'], [-256, '87ff'], [516, '8e0204'], [-100000, '8501869f'], [2 ** 40, '8a010000000000']];
    for (const [value, hex] of vectors) expect(writeVLong(value).toString('hex'), String(value)).to.equal(hex);
  });

  for (const format of ['Writable', 'Text'] as const) {
    it(`SequenceFile, writeFormat ${format}: LongWritable timestamp keys, ${format === 'Writable' ? 'BytesWritable' : 'Text'} values, sync markers`, () => {
      const serializer = new SequenceFileSerializer(format);
      const batches = [events(300), events(300, 300), events(5, 600)];
      const file = Buffer.concat([serializer.header(), ...batches.map((b) => serializer.serialize(b))]);
      const read = readSequenceFile(file);
      expect(read.keyClass).to.equal('org.apache.hadoop.io.LongWritable');
      expect(read.valueClass).to.equal(format === 'Writable' ? 'org.apache.hadoop.io.BytesWritable' : 'org.apache.hadoop.io.Text');
      expect(read.compressed).to.equal(false);
      expect(read.syncMarkersSeen).to.be.greaterThan(5);
      const expected = batches.flat();
      expect(read.records.map((r) => r.key)).to.deep.equal(expected.map((e) => BigInt(e.headers.timestamp!)));
      expect(read.records.map((r) => r.value.toString('hex'))).to.deep.equal(expected.map((e) => e.body.toString('hex')));
    });
  }

  for (const codec of CODECS) {
    it(`block-compressed SequenceFile with ${codec}: one block per batch`, () => {
      const serializer = new SequenceFileSerializer('Writable', hadoopCodec(codec));
      const batches = [events(200), events(1), events(1000, 201)];
      const file = Buffer.concat([serializer.header(), ...batches.map((b) => serializer.serialize(b))]);
      const read = readSequenceFile(file);
      expect(read).to.deep.include({ compressed: true, blockCompressed: true, syncMarkersSeen: 3 });
      expect(read.codec).to.equal(hadoopCodec(codec)!.className);
      expect(read.records.map((r) => r.value.toString('hex'))).to.deep.equal(batches.flat().map((e) => e.body.toString('hex')));
    });

    it(`CompressedStream with ${codec}: each batch compressed on its own, the whole file readable by the codec's tool`, () => {
      const serializer = new CodecSerializer(createSerializer('text'), hadoopCodec(codec)!);
      // A batch over Hadoop's 256 KiB block size is split into several framed blocks.
      const big = Array.from({ length: 3000 }, (_, i) => createEvent(`line ${i} ${'y'.repeat(i % 200)}`));
      const batches = [big.slice(0, 10), big.slice(10)];
      const file = Buffer.concat(batches.map((b) => serializer.serialize(b)));
      expect(serializer.extension).to.equal(`log.${hadoopCodec(codec)!.extension}`);
      const text = decompress(codec, file).toString('utf8');
      expect(text).to.equal(`${big.map((e) => e.body.toString()).join('\n')}\n`);
    });
  }
});

describe('hdfs sink writing each format to WebHDFS', function () {
  this.timeout(30000);
  let peer: HdfsPeer;
  before(async function () {
    requirePeers(this, 'hadoopCodecs');
    peer = await startHdfsPeer();
  });
  after(async () => { await peer?.close(); });

  const config = (overrides: Partial<HdfsSinkConfig>): HdfsSinkConfig => ({
    url: peer.url, path: `${peer.root}/${overrides.fileType}-${overrides.compression}`, filePrefix: 'FlumeData', fileSuffix: '', inUseSuffix: '.tmp', user: peer.user,
    delegationToken: '', fileType: 'DataStream', writeFormat: 'Writable', serializer: 'text', compression: 'none', batchSize: 100, requestTimeout: '5s', writeConcurrency: 8,
    roll: { ...ROLL_DEFAULTS }, maxOpenFiles: 500, round: false, roundValue: 1, roundUnit: 'second', useLocalTimeStamp: true, timeZone: 'utc',
    ...overrides,
  });

  for (const [fileType, compression] of [['SequenceFile', 'none'], ['SequenceFile', 'snappy'], ['CompressedStream', 'lz4'], ['CompressedStream', 'bzip2'], ['DataStream', 'gzip']] as const) {
    it(`${fileType} with ${compression}: every event in the closed file, appended batch by batch`, async () => {
      const harness = await createHarness();
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-hdfs-formats-'));
      const sink = hdfsSink.create(config({ fileType, compression }), { ...harness.sinkContext(), dataDir });
      const sent = events(450);
      try {
        await sink.start();
        await putAll(harness, sent);
        while (harness.channel.size > 0) await sink.process();
      } finally {
        await sink.stop();
        await harness.close();
        rmSync(dataDir, { recursive: true, force: true });
      }
      const files = await peer.files(`${peer.root}/${fileType}-${compression}`);
      expect(files).to.have.length(1);
      const bytes = await peer.client.read(files[0]!);
      if (fileType === 'SequenceFile') {
        expect(files[0]).to.match(/\.seq$/);
        expect(readSequenceFile(bytes).records.map((r) => r.value.toString('hex'))).to.deep.equal(sent.map((e) => e.body.toString('hex')));
      } else {
        expect(files[0]).to.match(new RegExp(`\\.log\\.${hadoopCodec(compression)!.extension}$`));
        expect(decompress(compression, bytes).toString('latin1')).to.equal(sent.map((e) => `${e.body.toString('latin1')}\n`).join(''));
      }
    });
  }

  it('reports CompressedStream without a codec at validate time', () => {
    const problems = hdfsSink.check!(config({ fileType: 'CompressedStream', compression: 'none' }));
    expect(problems.map((p) => p.path)).to.deep.equal(['/compression']);
  });
});
