import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { ClassicLevel } from 'classic-level';
import { parseTopology } from '@sluice/config';
import { loadTopology } from '@sluice/agent';
import { createEvent, errorCode, type Channel, type SluiceEvent } from '@sluice/core';
import type { FileChannel } from '@sluice/channel-file';
import { body, drain, fill, verifiedNumbers } from './fill.js';
import { makeChannel, TempRoot } from './make-channel.js';
import type { FileChannelConfig } from '@sluice/channel-file';

async function expectCode(work: () => Promise<unknown>, code: string): Promise<void> {
  try {
    await work();
  } catch (error) {
    expect(errorCode(error), String(error)).to.equal(code);
    return;
  }
  expect.fail(`expected ${code}`);
}

/** Keys in the index by prefix letter (the channel must be stopped). */
async function indexKeys(dir: string): Promise<Record<string, number>> {
  const db = new ClassicLevel<Buffer, Buffer>(path.join(dir, 'index'), { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  const counts: Record<string, number> = {};
  for await (const key of db.keys()) {
    const prefix = String.fromCharCode(key[0]!);
    counts[prefix] = (counts[prefix] ?? 0) + 1;
  }
  await db.close();
  return counts;
}

describe('file channel', () => {
  const root = new TempRoot();
  const open: Channel[] = [];
  let dirs = 0;
  afterEach(async () => {
    for (const channel of open.splice(0)) await channel.stop();
  });
  after(() => root.cleanup());

  async function started(dir = root.dir(`c${++dirs}`), overrides: Partial<FileChannelConfig> = {}): Promise<FileChannel> {
    const channel = makeChannel(dir, overrides);
    open.push(channel);
    await channel.start();
    return channel;
  }

  it('keeps its events private: the data directory is 0700 and data files 0600', async () => {
    const dir = root.dir(`c${++dirs}`);
    const channel = await started(dir);
    const tx = channel.transaction();
    tx.put([createEvent('secret')]);
    await tx.commit();
    expect(statSync(dir).mode & 0o777).to.equal(0o700);
    const dataDir = path.join(dir, 'data');
    expect(statSync(dataDir).mode & 0o777).to.equal(0o700);
    const files = readdirSync(dataDir);
    expect(files.length).to.be.greaterThan(0);
    for (const file of files) expect(statSync(path.join(dataDir, file)).mode & 0o777, file).to.equal(0o600);
  });

  it('bodies and headers read back from disk after a restart are byte for byte what was put', async () => {
    const first = await started();
    const put: SluiceEvent[] = [
      { headers: { 'unicode-é': 'välue ✓', empty: '', '': 'empty name' }, body: Buffer.from([0, 1, 2, 255, 254, 0x0a, 0x0d, 0]) },
      { headers: {}, body: Buffer.alloc(0) },
      { headers: { big: 'x'.repeat(70000) }, body: Buffer.alloc(256 * 1024, 7) },
    ];
    const tx = first.transaction();
    tx.put(put);
    await tx.commit();
    await first.stop();

    const second = await started(first.dataDir);
    const got = await drain(second);
    expect(got).to.have.length(3);
    for (let i = 0; i < 3; i++) {
      expect(got[i]!.headers).to.deep.equal(put[i]!.headers);
      expect(Buffer.compare(got[i]!.body, put[i]!.body), `body ${i}`).to.equal(0);
    }
  });

  it('a dataDir holding a store of the earlier format (LevelDB right in dataDir) is refused, not skipped', async () => {
    const dir = root.dir('earlier-format');
    const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.put(Buffer.from('B'), Buffer.from('an event batch'));
    await db.close();
    const channel = makeChannel(dir);
    await expectCode(() => channel.start(), 'SLUICE_COMPONENT_START');
    const entries = readdirSync(dir);
    expect(entries, 'no index beside the old store').to.not.include('index');
    expect(entries, 'no data files beside the old store').to.not.include('data');
  });

  it('a second channel opening the same dataDir fails with SLUICE_LOCKED', async () => {
    const first = await started();
    await expectCode(() => started(first.dataDir), 'SLUICE_LOCKED');
  });

  it('data files whose batches are all consumed are deleted, so a restart reads only what is left', async () => {
    // Each batch record (about 8.5 KiB) outgrows maxFileSize, so each lands in a file of its own.
    const first = await started(undefined, { maxFileSize: '8KiB' });
    await fill(first, 20, 100, 64);
    expect(readdirSync(path.join(first.dataDir, 'data'))).to.have.length(20);
    const tx = first.transaction();
    expect(await tx.take(1950)).to.have.length(1950);
    await tx.commit();
    expect(first.metrics.get('DataFileDeleteCount')).to.equal(19);
    await first.stop();
    // 19 batches fully consumed are gone with their files; the 20th stays with its consumption record.
    expect(readdirSync(path.join(first.dataDir, 'data'))).to.have.length(1);
    expect(await indexKeys(first.dataDir)).to.deep.equal({ A: 1, S: 1, W: 1 });

    const second = await started(first.dataDir);
    expect(second.size).to.equal(50);
    expect(verifiedNumbers(await drain(second), 64)).to.deep.equal(Array.from({ length: 50 }, (_, i) => 1950 + i));
  });

  it('a data file consumed while it was being appended to is deleted once a put moves to the next file, without waiting for another take', async () => {
    const channel = await started(undefined, { maxFileSize: '8KiB' });
    await fill(channel, 1, 100, 64);
    const tx = channel.transaction();
    expect(await tx.take(100)).to.have.length(100);
    await tx.commit();
    // Consumed, but still the file being appended to: it stays.
    expect(readdirSync(path.join(channel.dataDir, 'data'))).to.have.length(1);
    await fill(channel, 1, 100, 64);
    await (channel as unknown as { committer: { idle(): Promise<void> } }).committer.idle();
    expect(readdirSync(path.join(channel.dataDir, 'data'))).to.have.length(1);
    expect(channel.metrics.get('DataFileDeleteCount')).to.equal(1);
  });

  it('batches consumed out of order are neither redelivered nor counted as lost after a restart', async () => {
    const first = await started();
    await fill(first, 3, 10, 16);
    const slow = first.transaction();
    expect(await slow.take(10)).to.have.length(10);
    const fast = first.transaction();
    expect(verifiedNumbers(await fast.take(10), 16)).to.deep.equal(Array.from({ length: 10 }, (_, i) => 10 + i));
    await fast.commit();
    await first.stop();

    const second = await started(first.dataDir);
    expect(second.metrics.get('CorruptBatchCount')).to.equal(0);
    const numbers = verifiedNumbers(await drain(second), 16);
    expect(numbers).to.deep.equal([...Array.from({ length: 10 }, (_, i) => i), ...Array.from({ length: 10 }, (_, i) => 20 + i)]);
    await second.stop();

    const third = await started(first.dataDir);
    expect(third.size).to.equal(0);
    expect(third.metrics.get('CorruptBatchCount')).to.equal(0);
  });

  it('a transaction opened before a stop and restart fails with SLUICE_CHANNEL_CLOSED and loses nothing', async () => {
    const channel = await started();
    await fill(channel, 2, 10, 16);
    const old = channel.transaction();
    expect(await old.take(15)).to.have.length(15);
    await channel.stop();
    await channel.start();
    await expectCode(() => old.commit(), 'SLUICE_CHANNEL_CLOSED');
    await old.rollback();
    expect(verifiedNumbers(await drain(channel), 16)).to.deep.equal(Array.from({ length: 20 }, (_, i) => i));
  });

  it('a backlog larger than the decoded-events cache (8 MiB of bodies) is read back from disk, intact and in order', async () => {
    const channel = await started();
    // 24 MiB of bodies: two thirds of the batches are past the cache when the sink reaches them.
    await fill(channel, 24, 1024, 1024);
    expect(channel.metrics.get('StoreReadCount')).to.equal(0);
    const taken = await drain(channel, 1000);
    expect(verifiedNumbers(taken, 1024)).to.deep.equal(Array.from({ length: 24 * 1024 }, (_, i) => i));
    expect(channel.size).to.equal(0);
    // The first 8 batches were cached when they were put; the other 16 were read back.
    expect(channel.metrics.get('StoreReadCount')).to.equal(16);
  });

  it('concurrent commits share one fsync (group commit)', async () => {
    const channel = await started();
    await Promise.all(Array.from({ length: 20 }, (_, w) => {
      const tx = channel.transaction();
      tx.put([createEvent(`w${w}`)]);
      return tx.commit();
    }));
    expect(channel.size).to.equal(20);
    expect(channel.metrics.get('FsyncCount')).to.be.within(1, 2);
    expect((await drain(channel)).map((e) => e.body.toString()).sort()).to.deep.equal(Array.from({ length: 20 }, (_, w) => `w${w}`).sort());
  });

  it('a put commit resolves only after its write, puts resolve in order, and a take commit does not wait for a put in flight', async () => {
    const channel = await started();
    await fill(channel, 1, 2, 16);
    const log = (channel as unknown as { log: { append: (records: Buffer[]) => Promise<unknown> } }).log;
    const append = log.append.bind(log);
    let release: () => void = () => undefined;
    let appends = 0;
    log.append = async (records) => {
      appends++;
      await new Promise<void>((resolve) => { release = resolve; });
      return append(records);
    };
    const settled: string[] = [];
    const putTx = channel.transaction();
    putTx.put([createEvent('p1')]);
    const p1 = putTx.commit().then(() => settled.push('p1'));
    while (appends === 0) await new Promise((resolve) => setImmediate(resolve));
    const putTx2 = channel.transaction();
    putTx2.put([createEvent('p2')]);
    const p2 = putTx2.commit().then(() => settled.push('p2'));
    const takeTx = channel.transaction();
    expect(await takeTx.take(10)).to.have.length(2);
    await takeTx.commit();
    settled.push('take');
    expect(settled, 'the take committed while the put was being written').to.deep.equal(['take']);
    release();
    await p1;
    expect(settled, 'p2 waits for its own write').to.deep.equal(['take', 'p1']);
    while (appends === 1) await new Promise((resolve) => setImmediate(resolve));
    release();
    await Promise.all([p1, p2]);
    expect(settled).to.deep.equal(['take', 'p1', 'p2']);
    log.append = append;
    expect((await drain(channel)).map((e) => e.body.toString())).to.deep.equal(['p1', 'p2']);
  });

  it('a failed put write also fails the puts pending behind it, unwritten; a restart counts none of them as lost', async () => {
    const dir = root.dir(`c${++dirs}`);
    const channel = await started(dir);
    await fill(channel, 2, 3, 16);
    // Consuming the first batch stores a watermark, above which start-up counts missing sequences as lost.
    const consume = channel.transaction();
    expect(await consume.take(3)).to.have.length(3);
    await consume.commit();
    const log = (channel as unknown as { log: { append: (records: Buffer[]) => Promise<unknown> } }).log;
    const append = log.append.bind(log);
    let fail: (error: Error) => void = () => undefined;
    let appends = 0;
    log.append = async () => {
      appends++;
      await new Promise<void>((_, reject) => { fail = reject; });
    };
    const commit = (b: number): Promise<string> => {
      const tx = channel.transaction();
      tx.put(Array.from({ length: 3 }, (_, i) => ({ headers: { n: String(b * 3 + i) }, body: body(b * 3 + i, 16) })));
      return tx.commit().then(() => 'ok', async (error: unknown) => {
        await tx.rollback();
        return String((error as Error).message);
      });
    };
    const first = commit(2);
    while (appends === 0) await new Promise((resolve) => setImmediate(resolve));
    // Sent while batch 2 is being written, as a pipelined source does.
    const later = [commit(3), commit(4)];
    await new Promise((resolve) => setImmediate(resolve));
    fail(Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' }));
    expect(await Promise.all([first, ...later])).to.deep.equal(['EIO: i/o error, write', 'EIO: i/o error, write', 'EIO: i/o error, write']);
    expect(appends, 'the puts behind the failed one were never written').to.equal(1);
    log.append = append;
    // A later batch is stored after the failed ones, above their sequences.
    expect(await commit(2)).to.equal('ok');
    await channel.stop();
    open.splice(open.indexOf(channel), 1);

    const reopened = await started(dir);
    expect(reopened.metrics.get('CorruptBatchCount'), 'failed and discarded puts are not counted as lost').to.equal(0);
    expect(verifiedNumbers(await drain(reopened), 16)).to.deep.equal([3, 4, 5, 6, 7, 8]);
  });

  it('byteCapacity refuses a commit with SLUICE_CHANNEL_FULL and keeps what was committed', async () => {
    const channel = await started(undefined, { byteCapacity: '4KiB' });
    await fill(channel, 1, 10, 300);
    const tx = channel.transaction();
    tx.put(Array.from({ length: 5 }, () => createEvent(Buffer.alloc(300))));
    await expectCode(() => tx.commit(), 'SLUICE_CHANNEL_FULL');
    await tx.rollback();
    expect(channel.size).to.equal(10);
    expect(channel.metrics.get('ChannelBytesOnDisk')).to.be.greaterThan(3000);
  });

  it('minFreeSpace refuses puts with SLUICE_CHANNEL_FULL before the disk fills', async () => {
    const channel = await started(undefined, { minFreeSpace: '8000TiB' });
    const tx = channel.transaction();
    tx.put([createEvent('x')]);
    await expectCode(() => tx.commit(), 'SLUICE_CHANNEL_FULL');
    await tx.rollback();
    expect(channel.size).to.equal(0);
  });

  it('fsync: interval commits without fsync; stop syncs, and nothing committed is lost', async () => {
    const channel = await started(undefined, { fsync: 'interval', fsyncInterval: '1h' });
    await fill(channel, 5, 10, 16);
    expect(channel.metrics.get('StoreWriteCount')).to.be.at.least(5);
    expect(channel.metrics.get('FsyncCount')).to.equal(0);
    await channel.stop();
    const again = await started(channel.dataDir);
    expect(again.size).to.equal(50);
  });

  it('fsync: interval fsyncs written commits within fsyncInterval', async () => {
    const channel = await started(undefined, { fsync: 'interval', fsyncInterval: '50ms' });
    await fill(channel, 1, 10, 16);
    for (let i = 0; i < 250 && channel.metrics.get('FsyncCount') === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(channel.metrics.get('FsyncCount')).to.be.at.least(1);
  });

  it('a Flume .properties file channel maps dataDirs (or checkpointDir) onto dataDir', async () => {
    const properties = [
      'a1.sources = s1', 'a1.channels = c1 c2', 'a1.sinks = k1',
      'a1.sources.s1.type = seq', 'a1.sources.s1.channels = c1 c2',
      'a1.channels.c1.type = file', 'a1.channels.c1.checkpointDir = /var/lib/flume/ckpt',
      'a1.channels.c1.dataDirs = /var/lib/flume/data1,/var/lib/flume/data2', 'a1.channels.c1.capacity = 5000',
      'a1.channels.c1.keep-alive = 5', 'a1.channels.c1.minimumRequiredSpace = 1048576', 'a1.channels.c1.checkpointInterval = 30000',
      'a1.channels.c2.type = file', 'a1.channels.c2.checkpointDir = /var/lib/flume/only-ckpt', 'a1.channels.c2.fsyncPerTransaction = false',
      'a1.sinks.k1.type = logger', 'a1.sinks.k1.channel = c1',
    ].join('\n');
    const { model } = await loadTopology(parseTopology(properties, 'flume.properties'));
    const c1 = model.agents.a1!.channels.c1!.config;
    expect(c1).to.include({ dataDir: '/var/lib/flume/data1', capacity: 5000, keepAlive: '5s', minFreeSpace: '1048576B' });
    expect(model.agents.a1!.channels.c2!.config).to.include({ dataDir: '/var/lib/flume/only-ckpt', fsync: 'interval' });
  });
});
