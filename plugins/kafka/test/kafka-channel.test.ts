import { expect } from 'chai';
import { channelSuite, eventually, requirePeers } from '@sluice/testkit';
import { createComponentContext, createEvent, errorCode } from '@sluice/core';
import { kafkaChannel, type KafkaChannel, type KafkaChannelConfig } from '../src/index.js';
import { configOf, FAST_GROUP, startKafkaTestCluster, uniqueName, type KafkaTestCluster } from './helpers/test-cluster.js';

describe('kafka channel @slow', function () {
  before(function () { requirePeers(this, 'kafka'); });
  let cluster: KafkaTestCluster;
  const topics = new Map<string, { topic: string; groupId: string }>();
  before(async () => {
    cluster = await startKafkaTestCluster();
  });
  after(async () => {
    await cluster?.stop();
  });

  channelSuite({
    capabilities: { durable: true },
    timeout: 30000,
    async factory({ storageId, transactionCapacity }) {
      let names = topics.get(storageId);
      if (!names) {
        names = { topic: uniqueName('channel'), groupId: uniqueName('group') };
        topics.set(storageId, names);
        await cluster.createTopic(names.topic, 1);
      }
      const config = configOf<KafkaChannelConfig>(kafkaChannel, {
        brokers: [...cluster.brokers], ...names, ...FAST_GROUP, pollTimeout: '300ms', idempotent: cluster.mock === undefined,
        ...(transactionCapacity === undefined ? {} : { transactionCapacity }),
      });
      return kafkaChannel.create(config, createComponentContext({ name: 'kafka-channel', kind: 'CHANNEL' }));
    },
  });

  describe('two agents sharing a channel topic and group', () => {
    const channels: KafkaChannel[] = [];
    afterEach(async () => {
      for (const channel of channels.splice(0)) await channel.stop();
    });

    it('split the partitions after a rebalance and together take every event at least once', async function () {
      // A rebalance waits for the first member's next heartbeat and the group's join round, which
      // a busy CI machine has stretched past 20 s: the wait below must fit inside the test's own limit.
      this.timeout(60_000);
      const topic = uniqueName('shared');
      const groupId = uniqueName('group');
      await cluster.createTopic(topic, 2);
      const open = async (name: string): Promise<KafkaChannel> => {
        const channel = kafkaChannel.create(configOf<KafkaChannelConfig>(kafkaChannel, {
          brokers: [...cluster.brokers], topic, groupId, ...FAST_GROUP, idempotent: cluster.mock === undefined, pollTimeout: '100ms',
        }), createComponentContext({ name, kind: 'CHANNEL' })) as KafkaChannel;
        channels.push(channel);
        await channel.start();
        return channel;
      };
      const seen = new Map<string, number>();
      const takeSome = async (channel: KafkaChannel): Promise<void> => {
        const tx = channel.transaction();
        const events = await tx.take(7);
        await tx.commit();
        for (const event of events) seen.set(event.body.toString(), (seen.get(event.body.toString()) ?? 0) + 1);
      };
      const first = await open('first');
      for (let batch = 0; batch < 10; batch++) {
        const tx = first.transaction();
        tx.put(Array.from({ length: 20 }, (_, i) => createEvent(`e${batch * 20 + i}`)));
        await tx.commit();
      }
      for (let round = 0; round < 5; round++) await takeSome(first);
      const second = await open('second');
      for (let i = 0; i < 20; i++) {
        const tx = second.transaction();
        tx.put([createEvent(`e${200 + i}`)]);
        await tx.commit();
      }
      await eventually(async () => {
        await takeSome(first);
        await takeSome(second);
        return seen.size === 220;
      }, 'all 220 events taken by the two channels', 50_000);
      expect([...seen.keys()].sort()).to.deep.equal(Array.from({ length: 220 }, (_, i) => `e${i}`).sort());
      expect(first.partitions.size + second.partitions.size, 'each member owns some of the 2 partitions').to.equal(2);
    });
  });

  describe('metrics and limits', () => {
    let channel: KafkaChannel | undefined;
    afterEach(async () => {
      await channel?.stop();
    });

    it('reports the consumer lag as ChannelSize and ChannelFillPercentage, and 0 once taken and committed', async () => {
      const topic = uniqueName('lag');
      await cluster.createTopic(topic, 1);
      channel = kafkaChannel.create(configOf<KafkaChannelConfig>(kafkaChannel, {
        brokers: [...cluster.brokers], topic, groupId: uniqueName('group'), ...FAST_GROUP, idempotent: cluster.mock === undefined, prefetch: 3,
      }), createComponentContext({ name: 'lag-channel', kind: 'CHANNEL' })) as KafkaChannel;
      await channel.start();
      const put = channel.transaction();
      put.put(Array.from({ length: 5 }, (_, i) => createEvent(`e${i}`)));
      await put.commit();
      await eventually(() => channel!.metrics.snapshot().ChannelSize === 5, 'a lag of 5 events');
      expect(channel.metrics.snapshot()).to.include({ ChannelSize: 5, ChannelFillPercentage: 5, ChannelCapacity: 0 });
      let taken = 0;
      while (taken < 5) {
        const tx = channel.transaction();
        taken += (await tx.take(10)).length;
        await tx.commit();
      }
      expect(channel.metrics.snapshot()).to.include({ ChannelSize: 0, ChannelFillPercentage: 0, EventTakeSuccessCount: 5 });
    });

    it('fails a put beyond transactionCapacity with SLUICE_TX_CAPACITY, before anything reaches Kafka', async () => {
      const topic = uniqueName('txcap');
      await cluster.createTopic(topic, 1);
      channel = kafkaChannel.create(configOf<KafkaChannelConfig>(kafkaChannel, {
        brokers: [...cluster.brokers], topic, groupId: uniqueName('group'), ...FAST_GROUP, idempotent: cluster.mock === undefined, transactionCapacity: 5,
      }), createComponentContext({ name: 'txcap-channel', kind: 'CHANNEL' })) as KafkaChannel;
      await channel.start();
      const tx = channel.transaction();
      tx.put([createEvent('a'), createEvent('b')]);
      let failure: unknown;
      try {
        tx.put(Array.from({ length: 4 }, (_, i) => createEvent(`c${i}`)));
      } catch (error) {
        failure = error;
      }
      expect(errorCode(failure)).to.equal('SLUICE_TX_CAPACITY');
      await tx.rollback();
      const reader = channel.transaction();
      expect(await reader.take(10)).to.deep.equal([]);
      await reader.commit();
    });
  });
});
