import { expect } from 'chai';
import { createComponentContext, createEvent, memoryChannel, WaitList, type MemoryChannel } from '../src/index.js';

/** Lets every pending microtask and immediate run (no timers: a waiter woken only by its timeout stays pending). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('WaitList', () => {
  it('wakeAll wakes every waiter, not every other one', async () => {
    const list = new WaitList();
    const woken: number[] = [];
    const waits = [0, 1, 2, 3, 4].map((i) => list.wait(60_000).then(() => woken.push(i)));
    list.wakeAll();
    await settle();
    expect(woken.sort()).to.deep.equal([0, 1, 2, 3, 4]);
    await Promise.all(waits);
  });

  it('a waiter that timed out leaves the list; the others still wake', async () => {
    const list = new WaitList();
    const woken: string[] = [];
    const short = list.wait(1).then(() => woken.push('short'));
    const long = list.wait(60_000).then(() => woken.push('long'));
    await short;
    list.wakeAll();
    await settle();
    expect(woken).to.deep.equal(['short', 'long']);
    await long;
  });
});

describe('memory channel: puts waiting for room', () => {
  it('every put waiting on a full channel commits as soon as a take frees room for it, long before keepAlive', async () => {
    const channel = memoryChannel.create({ capacity: 10, transactionCapacity: 10, byteCapacity: '0', keepAlive: '60s' }, createComponentContext({ name: 'c', kind: 'CHANNEL' })) as MemoryChannel;
    await channel.start();
    try {
      const fill = channel.transaction();
      fill.put(Array.from({ length: 10 }, (_, i) => createEvent(`full ${i}`)));
      await fill.commit();
      // Three sources wait for room at once (three connections of one syslog source, say).
      const committed: number[] = [];
      const puts = [0, 1, 2].map(async (i) => {
        const tx = channel.transaction();
        tx.put([createEvent(`waiting ${i}`), createEvent(`waiting ${i}b`)]);
        await tx.commit();
        committed.push(i);
      });
      await settle();
      expect(committed).to.deep.equal([]);
      const take = channel.transaction();
      expect(await take.take(10)).to.have.length(10);
      await take.commit();
      await settle();
      expect(committed.sort()).to.deep.equal([0, 1, 2]);
      expect(channel.size).to.equal(6);
      await Promise.all(puts);
    } finally {
      await channel.stop();
    }
  });
});
