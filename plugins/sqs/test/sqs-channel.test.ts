import { expect } from 'chai';
import { channelSuite, eventually } from '@sluice/testkit';
import { createComponentContext, createEvent, errorCode, type Channel } from '@sluice/core';
import { sqsChannel, type SqsChannel, type SqsChannelConfig } from '../src/index.js';
import { startSqsPeer, type SqsPeer } from './sqs-peer.js';

/** A channel config with the schema defaults, the peer's AWS keys and `extra`. */
export function channelConfig(peer: SqsPeer, queueUrl: string, extra: Partial<SqsChannelConfig> = {}): SqsChannelConfig {
  const defaults = Object.fromEntries(Object.entries((sqsChannel.schema as { properties: Record<string, { default: unknown }> }).properties).map(([k, v]) => [k, v.default]));
  return { ...defaults, ...peer.aws(), queueUrl, pollTimeout: peer.local ? '0s' : '1s', ...extra } as SqsChannelConfig;
}

describe('sqs channel', function () {
  let peer: SqsPeer;
  before(async () => {
    peer = await startSqsPeer();
  });
  after(async () => {
    await peer?.close();
  });

  // On a standard queue. On a FIFO queue SQS gives a transaction that holds messages of a group no
  // more of that group until it commits, so the suite's take-take-rollback case cannot hold there
  // (and fauxqs 1.x hands out one message per group per receive); FIFO has its own cases below.
  describe('on a standard queue', () => {
    const queues = new Map<string, string>();
    channelSuite({
      capabilities: { durable: true },
      timeout: 20000,
      async factory({ storageId, transactionCapacity }) {
        let queueUrl = queues.get(storageId);
        if (!queueUrl) {
          queueUrl = await peer.createQueue(`channel-${queues.size}`);
          queues.set(storageId, queueUrl);
        }
        return sqsChannel.create(channelConfig(peer, queueUrl, transactionCapacity === undefined ? {} : { transactionCapacity }), createComponentContext({ name: 'sqs-channel', kind: 'CHANNEL' }));
      },
    });
  });

  describe('shared by two agents', () => {
    const open: Channel[] = [];
    afterEach(async () => {
      for (const channel of open.splice(0)) await channel.stop();
    });
    const start = async (queueUrl: string, name: string, extra: Partial<SqsChannelConfig> = {}): Promise<SqsChannel> => {
      const channel = sqsChannel.create(channelConfig(peer, queueUrl, extra), createComponentContext({ name, kind: 'CHANNEL' })) as SqsChannel;
      open.push(channel);
      await channel.start();
      return channel;
    };

    it('a rollback makes the taken messages visible to the other agent at once', async () => {
      const queueUrl = await peer.createQueue('shared-rollback', { visibilityTimeout: 600 });
      const a = await start(queueUrl, 'a');
      const b = await start(queueUrl, 'b');
      const put = a.transaction();
      put.put([createEvent('one'), createEvent('two')]);
      await put.commit();
      const taker = a.transaction();
      expect((await taker.take(10)).map((e) => e.body.toString())).to.deep.equal(['one', 'two']);
      const other = b.transaction();
      expect(await other.take(10), 'hidden while a holds them').to.deep.equal([]);
      await other.commit();
      await taker.rollback();
      const again = b.transaction();
      expect((await again.take(10)).map((e) => e.body.toString()).sort()).to.deep.equal(['one', 'two']);
      await again.commit();
      expect(await peer.depth(queueUrl)).to.deep.equal({ visible: 0, inFlight: 0 });
    });

    it('extends the visibility of messages held by a slow transaction, and the commit deletes them', async () => {
      const queueUrl = await peer.createQueue('slow-commit');
      const a = await start(queueUrl, 'a', { visibilityTimeout: '2s' });
      const b = await start(queueUrl, 'b', { visibilityTimeout: '2s' });
      const put = a.transaction();
      put.put([createEvent('held')]);
      await put.commit();
      const slow = a.transaction();
      expect(await slow.take(1)).to.have.length(1);
      await new Promise((resolve) => setTimeout(resolve, 4500));
      const other = b.transaction();
      expect(await other.take(10), 'still hidden after twice the visibility timeout').to.deep.equal([]);
      await other.commit();
      expect(a.metrics.snapshot().SqsVisibilityExtendCount).to.be.greaterThan(0);
      await slow.commit();
      expect(await peer.depth(queueUrl)).to.deep.equal({ visible: 0, inFlight: 0 });
    });

    it('FIFO: two agents taking with rollbacks get every message group in put order', async () => {
      const queueUrl = await peer.createQueue('fifo-shared', { fifo: true });
      const a = await start(queueUrl, 'a', { messageGroupId: '%{tenant}' });
      const b = await start(queueUrl, 'b', { messageGroupId: '%{tenant}' });
      const groups = ['t1', 't2', 't3'];
      for (let i = 0; i < 8; i++) {
        const put = (i % 2 === 0 ? a : b).transaction();
        put.put(groups.map((tenant) => createEvent(`${tenant}:${i}`, { tenant })));
        await put.commit();
      }
      const committed: string[] = [];
      let round = 0;
      while (committed.length < 24 && round < 500) {
        const tx = (round % 2 === 0 ? a : b).transaction();
        const events = await tx.take(5);
        if (round++ % 3 === 0 && events.length > 0) {
          await tx.rollback();
          continue;
        }
        await tx.commit();
        committed.push(...events.map((e) => e.body.toString()));
      }
      for (const tenant of groups) {
        expect(committed.filter((body) => body.startsWith(`${tenant}:`))).to.deep.equal(Array.from({ length: 8 }, (_, i) => `${tenant}:${i}`));
      }
    });

    it('reports the queue depth as ChannelSize (capacity 0), refreshed from the queue every depthInterval', async () => {
      const queueUrl = await peer.createQueue('depth');
      await peer.send(queueUrl, ['x', 'y']);
      const a = await start(queueUrl, 'a', { depthInterval: '1s' });
      await eventually(() => a.metrics.snapshot().ChannelSize === 2, 'ChannelSize 2 from the queue');
      expect(a.metrics.snapshot()).to.include({ ChannelCapacity: 0, ChannelFillPercentage: 0 });
      const tx = a.transaction();
      expect(await tx.take(10)).to.have.length(2);
      await tx.commit();
      expect(a.metrics.snapshot().ChannelSize).to.equal(0);
      await peer.send(queueUrl, ['z']);
      await eventually(() => a.metrics.snapshot().ChannelSize === 1, 'ChannelSize 1 after another agent put one', 5000);
    });

    it('refuses a put whose event is larger than the queue allows with SLUICE_EVENT_REJECTED, sending nothing', async () => {
      const queueUrl = await peer.createQueue('too-big');
      const a = await start(queueUrl, 'a');
      const tx = a.transaction();
      tx.put([createEvent('small'), { headers: {}, body: Buffer.alloc(a.queue!.messageLimit + 1, 0x61) }]);
      let failure: unknown;
      try { await tx.commit(); } catch (error) { failure = error; }
      await tx.rollback();
      expect(errorCode(failure)).to.equal('SLUICE_EVENT_REJECTED');
      expect(await peer.depth(queueUrl)).to.deep.equal({ visible: 0, inFlight: 0 });
    });
  });
});
