import { expect } from 'chai';
import { createComponentContext, createEvent, errorCode, type SluiceEvent } from '@sluice/core';
import { spillableMemoryChannel, type SpillableMemoryChannel, type SpillableMemoryChannelConfig } from '@sluice/channel-file';
import { channelSuite } from '@sluice/testkit';
import { TempRoot } from './make-channel.js';

function config(dataDir: string, overrides: Partial<SpillableMemoryChannelConfig> = {}): SpillableMemoryChannelConfig {
  return {
    memoryCapacity: 10, overflowCapacity: 1000, byteCapacity: '0', overflowByteCapacity: '0', transactionCapacity: 1000, dataDir,
    fsync: 'always', fsyncInterval: '1s', minFreeSpace: '0', keepAlive: '100ms', maxFileSize: '64MiB', ...overrides,
  };
}

function make(dataDir: string, overrides: Partial<SpillableMemoryChannelConfig> = {}): SpillableMemoryChannel {
  return spillableMemoryChannel.create(config(dataDir, overrides), createComponentContext({ name: 'c1', kind: 'CHANNEL' })) as SpillableMemoryChannel;
}

const batch = (from: number, n: number): SluiceEvent[] => Array.from({ length: n }, (_, i) => createEvent(`e${from + i}`));
const bodies = (events: SluiceEvent[]): number[] => events.map((e) => Number(e.body.toString().slice(1)));
const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

async function put(channel: SpillableMemoryChannel, events: SluiceEvent[]): Promise<void> {
  const tx = channel.transaction();
  tx.put(events);
  await tx.commit();
}

async function take(channel: SpillableMemoryChannel, max: number, commit = true): Promise<number[]> {
  const tx = channel.transaction();
  const events = await tx.take(max);
  if (commit) await tx.commit();
  else await tx.rollback();
  return bodies(events);
}

describe('spillablememory channel conformance (memory of 3 events, the rest spills)', () => {
  const root = new TempRoot();
  after(() => root.cleanup());
  channelSuite({
    factory: ({ storageId, capacity, transactionCapacity }) => make(root.dir(storageId), {
      memoryCapacity: Math.min(3, capacity ?? 3), overflowCapacity: capacity === undefined ? 100000 : capacity - Math.min(3, capacity),
      ...(transactionCapacity ? { transactionCapacity } : {}),
    }),
    capabilities: { bounded: true },
  });
});

describe('spillablememory channel conformance (memoryCapacity 0: all on disk, durable)', () => {
  const root = new TempRoot();
  after(() => root.cleanup());
  channelSuite({
    factory: ({ storageId, capacity, transactionCapacity }) => make(root.dir(storageId), {
      memoryCapacity: 0, overflowCapacity: capacity ?? 100000, ...(transactionCapacity ? { transactionCapacity } : {}),
    }),
    capabilities: { bounded: true, durable: true },
  });
});

describe('spillablememory channel', () => {
  const root = new TempRoot();
  let channel: SpillableMemoryChannel | undefined;
  afterEach(async () => { await channel?.stop(); });
  after(() => root.cleanup());

  it('keeps batches in memory while they fit, spills what does not fit, and counts spills', async () => {
    channel = make(root.dir('spill'));
    await channel.start();
    for (let i = 0; i < 6; i++) await put(channel, batch(i * 4, 4));
    // The third batch fills memory (two events) and spills its other two.
    expect(channel.metrics.get('MemoryChannelSize')).to.equal(10);
    expect(channel.metrics.get('OverflowChannelSize')).to.equal(14);
    expect(channel.metrics.get('SpillCount')).to.equal(14);
    expect(channel.size).to.equal(24);
    expect(await take(channel, 100)).to.deep.equal(range(0, 24));
    expect(channel.size).to.equal(0);
  });

  it('takes in commit order when later batches go to memory while earlier ones wait on disk', async () => {
    channel = make(root.dir('order'));
    await channel.start();
    await put(channel, batch(0, 8)); // memory: 0-7
    await put(channel, batch(8, 5)); // no room: overflow 8-12
    expect(await take(channel, 6)).to.deep.equal(range(0, 6)); // memory frees 6
    await put(channel, batch(13, 5)); // fits in memory again, after the spilled 8-12
    await put(channel, batch(18, 20)); // overflow
    expect(await take(channel, 1000)).to.deep.equal(range(6, 32));
  });

  it('returns rolled-back takes spanning memory and overflow to the head, in order', async () => {
    channel = make(root.dir('rollback'));
    await channel.start();
    await put(channel, batch(0, 8));
    await put(channel, batch(8, 5));
    expect(await take(channel, 4)).to.deep.equal(range(0, 4));
    await put(channel, batch(13, 3));
    expect(await take(channel, 10, false)).to.deep.equal(range(4, 10));
    expect(await take(channel, 100)).to.deep.equal(range(4, 12));
  });

  it('keeps concurrent takes from one overflow run apart', async () => {
    channel = make(root.dir('concurrent'), { memoryCapacity: 0 });
    await channel.start();
    await put(channel, batch(0, 50));
    await put(channel, batch(50, 50));
    const a = channel.transaction();
    const b = channel.transaction();
    const [x, y] = await Promise.all([a.take(30), b.take(30)]);
    await Promise.all([a.commit(), b.commit()]);
    const rest = await take(channel, 1000);
    expect([...bodies(x), ...bodies(y), ...rest].sort((p, q) => p - q)).to.deep.equal(range(0, 100));
    expect(bodies(x)).to.deep.equal(range(0, 30));
    expect(bodies(y)).to.deep.equal(range(30, 30));
  });

  it('loses what was in memory on a restart, and delivers what spilled', async () => {
    const dir = root.dir('restart');
    channel = make(dir);
    await channel.start();
    await put(channel, batch(0, 10));
    await put(channel, batch(10, 15));
    await channel.stop();
    channel = make(dir);
    await channel.start();
    expect(channel.size).to.equal(15);
    await put(channel, batch(25, 2));
    expect(await take(channel, 100)).to.deep.equal([...range(10, 15), 25, 26]);
  });

  it('with overflowCapacity 0 is a memory channel: a full memory fails the commit with SLUICE_CHANNEL_FULL', async () => {
    channel = make(root.dir('no-overflow'), { overflowCapacity: 0 });
    await channel.start();
    await put(channel, batch(0, 10));
    let error: unknown;
    await put(channel, batch(10, 1)).catch((e: unknown) => { error = e; });
    expect(errorCode(error)).to.equal('SLUICE_CHANNEL_FULL');
    expect(await take(channel, 100)).to.deep.equal(range(0, 10));
  });

  it('reads Flume\'s keys: capacities, byteCapacity in bytes, the overflow\'s file channel keys; heap tuning keys have no effect', () => {
    expect(spillableMemoryChannel.fromFlume!({
      memoryCapacity: '10000', overflowCapacity: '1000000', byteCapacity: '800000', avgEventSize: '500', overflowTimeout: '3',
      checkpointDir: '/mnt/flume/checkpoint', dataDirs: '/mnt/flume/data', transactionCapacity: '100',
    })).to.deep.equal({ memoryCapacity: '10000', overflowCapacity: '1000000', byteCapacity: '800000B', transactionCapacity: '100', dataDir: '/mnt/flume/data' });
    const problems = spillableMemoryChannel.check!(config('', { memoryCapacity: 0, overflowCapacity: 0 }));
    expect(problems.map((p) => p.path)).to.deep.equal(['/memoryCapacity']);
  });
});
