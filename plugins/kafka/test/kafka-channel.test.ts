import { channelSuite } from '@sluice/testkit';
import { createComponentContext } from '@sluice/core';
import { kafkaChannel, type KafkaChannelConfig } from '../src/index.js';
import { configOf, FAST_GROUP, startKafkaTestCluster, uniqueName, type KafkaTestCluster } from './helpers/test-cluster.js';

describe('kafka channel @slow', function () {
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
});
