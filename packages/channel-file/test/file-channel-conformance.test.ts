import { channelSuite } from '@sluice/testkit';
import { makeChannel, TempRoot } from './make-channel.js';

describe('file channel conformance', () => {
  const root = new TempRoot();
  after(() => root.cleanup());

  channelSuite({
    factory: ({ storageId, capacity, transactionCapacity }) => makeChannel(root.dir(storageId), {
      ...(capacity ? { capacity } : {}),
      ...(transactionCapacity ? { transactionCapacity } : {}),
    }),
    capabilities: { durable: true, bounded: true },
  });
});
