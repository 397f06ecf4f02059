import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import avro from 'avsc';
import { expect } from 'chai';
import { createComponentContext, createEvent, fileRollSink, memoryChannel, type Sink } from '../src/index.js';

describe('file_roll with the shared serializers', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-roll-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function run(serializer: 'text' | 'avro_event', compression: 'none' | 'gzip', rollSize: string): Promise<string[]> {
    const channel = memoryChannel.create({ capacity: 1000, transactionCapacity: 100, byteCapacity: '0', keepAlive: '0' }, createComponentContext({ name: 'c', kind: 'CHANNEL' }));
    await channel.start();
    const sink = fileRollSink.create(
      { directory: dir, rollInterval: '0', rollSize, serializer, compression, batchSize: 5, filePrefix: 'out-', fileSuffix: '', fsync: false },
      { ...createComponentContext({ name: 'roll', kind: 'SINK' }), channel },
    ) as Sink;
    await sink.start();
    const tx = channel.transaction();
    tx.put(Array.from({ length: 20 }, (_, i) => createEvent(`line ${i}`, { seq: String(i) })));
    await tx.commit();
    for (let i = 0; i < 4; i++) await sink.process();
    await sink.stop();
    await channel.stop();
    return readdirSync(dir).sort((a, b) => Number(a.split('-')[2]) - Number(b.split('-')[2])).map((f) => path.join(dir, f));
  }

  it('writes gzip files that zcat reads', async () => {
    const [file] = await run('text', 'gzip', '0');
    expect(execFileSync('zcat', [file!]).toString()).to.equal(Array.from({ length: 20 }, (_, i) => `line ${i}\n`).join(''));
  });

  it('writes avro_event files, each with its own header, that createFileDecoder reads', async () => {
    const files = await run('avro_event', 'none', '200B');
    expect(files.length).to.be.greaterThan(1);
    const bodies: string[] = [];
    for (const file of files) {
      await new Promise<void>((resolve, reject) => {
        avro.createFileDecoder(file).on('data', (r: { body: Buffer }) => bodies.push(r.body.toString())).on('end', resolve).on('error', reject);
      });
    }
    expect(bodies).to.deep.equal(Array.from({ length: 20 }, (_, i) => `line ${i}`));
  });
});
