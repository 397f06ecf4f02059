import { expect } from 'chai';
import { channelSuite } from '@sluice/testkit';
import { createComponentContext, createEvent, memoryChannel, MemoryChannel, type MemoryChannelConfig } from '@sluice/core';

function makeChannel(overrides: Partial<MemoryChannelConfig> = {}): MemoryChannel {
  const config: MemoryChannelConfig = { capacity: 1000, transactionCapacity: 1000, byteCapacity: '0', keepAlive: '0', ...overrides };
  return memoryChannel.create(config, createComponentContext({ name: 'c1', kind: 'CHANNEL' })) as MemoryChannel;
}

describe('memory channel', () => {
  channelSuite({
    factory: ({ capacity, transactionCapacity }) => makeChannel({
      ...(capacity ? { capacity } : {}),
      ...(transactionCapacity ? { transactionCapacity } : {}),
    }),
    capabilities: { bounded: true, durable: false },
  });

  it('commit() waits up to keepAlive for room freed by a taker', async () => {
    const channel = makeChannel({ capacity: 2, keepAlive: '2s' });
    await channel.start();
    const first = channel.transaction();
    first.put([createEvent('a'), createEvent('b')]);
    await first.commit();
    const blocked = channel.transaction();
    blocked.put([createEvent('c')]);
    const committing = blocked.commit();
    const taker = channel.transaction();
    await taker.take(1);
    await taker.commit();
    await committing;
    expect(channel.size).to.equal(2);
    await channel.stop();
  });

  it('byteCapacity refuses a commit that would exceed it with SLUICE_CHANNEL_FULL', async () => {
    const channel = makeChannel({ byteCapacity: '10B' });
    await channel.start();
    const first = channel.transaction();
    first.put([createEvent('123456')]);
    await first.commit();
    const tx = channel.transaction();
    tx.put([createEvent('789012')]);
    const error = await tx.commit().then(() => undefined, (e: unknown) => e);
    expect((error as { code?: string }).code).to.equal('SLUICE_CHANNEL_FULL');
    await tx.rollback();
    await channel.stop();
  });

  it('reports Flume channel counters and fill percentage', async () => {
    const channel = makeChannel({ capacity: 10 });
    await channel.start();
    const tx = channel.transaction();
    tx.put([createEvent('a'), createEvent('b')]);
    await tx.commit();
    const take = channel.transaction();
    await take.take(1);
    await take.commit();
    const snapshot = channel.metrics.snapshot();
    expect(snapshot).to.include({ EventPutAttemptCount: 2, EventPutSuccessCount: 2, EventTakeSuccessCount: 1, ChannelSize: 1, ChannelCapacity: 10, ChannelFillPercentage: 10 });
    await channel.stop();
  });
});
