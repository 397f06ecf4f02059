import { expect } from 'chai';
import {
  createComponentContext, createEvent, DefaultSinkProcessor, memoryChannel, nullSink, SinkRunner, SluiceError, silentLogger,
  type MemoryChannel, type Sink, type Status,
} from '../src/index.js';

async function channelWith(n: number): Promise<MemoryChannel> {
  const c = memoryChannel.create({ capacity: 10000, transactionCapacity: 10000, byteCapacity: '0', keepAlive: '0' }, createComponentContext({ name: 'c', kind: 'CHANNEL' })) as MemoryChannel;
  await c.start();
  if (n > 0) {
    const tx = c.transaction();
    tx.put(Array.from({ length: n }, (_, i) => createEvent(String(i))));
    await tx.commit();
  }
  return c;
}

describe('SinkRunner', () => {
  it('stop(drain) keeps processing until the channel is empty', async () => {
    const channel = await channelWith(5000);
    const sink = nullSink.create({ batchSize: 100 }, { ...createComponentContext({ name: 'k', kind: 'SINK' }), channel });
    const processor = new DefaultSinkProcessor([{ name: 'k', sink }]);
    await processor.start();
    const runner = new SinkRunner(processor, { logger: silentLogger, channels: [channel] });
    runner.start();
    await runner.stop(10000);
    expect(channel.size).to.equal(0);
  });

  it('retries a failing sink with backoff without losing its batch, and wakes on new data', async () => {
    const channel = await channelWith(0);
    let failures = 2;
    const delivered: string[] = [];
    const sink: Sink = {
      name: 'flaky',
      start: async () => undefined,
      stop: async () => undefined,
      async process(): Promise<Status> {
        const tx = channel.transaction();
        const events = await tx.take(10);
        if (events.length === 0) {
          await tx.commit();
          return 'backoff';
        }
        if (failures-- > 0) {
          await tx.rollback();
          throw new SluiceError('SLUICE_DELIVERY_FAILED', 'destination down');
        }
        delivered.push(...events.map((e) => e.body.toString()));
        await tx.commit();
        return 'ready';
      },
    };
    const runner = new SinkRunner(new DefaultSinkProcessor([{ name: 'flaky', sink }]), { logger: silentLogger, channels: [channel], errorBackoffMs: 5, maxBackoffMs: 50 });
    runner.start();
    await new Promise((resolve) => setTimeout(resolve, 30));
    const tx = channel.transaction();
    tx.put([createEvent('a'), createEvent('b')]);
    await tx.commit();
    const deadline = Date.now() + 5000;
    while (delivered.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    await runner.stop(0);
    expect(delivered).to.deep.equal(['a', 'b']);
    expect(failures).to.equal(-1);
  });
  it('drains a channel more than half full in 5 ms slices of back-to-back batches, yields after each batch below half, and takes events put after the drain within a turn or two', async () => {
    const channel = await channelWith(10000);
    // A clock only the batches move (1 ms each) and an event-loop turn counter: the slices are
    // counted in batches per turn, the same on any machine.
    let clock = 0;
    let turn = 0;
    let counting = true;
    const tick = (): void => {
      turn++;
      if (counting) setImmediate(tick);
    };
    setImmediate(tick);
    const turnOfBatch: number[] = [];
    const sink: Sink = {
      name: 'busy',
      start: async () => undefined,
      stop: async () => undefined,
      // Batches taken and committed without any I/O: only the runner's own yield lets the loop turn.
      async process(): Promise<Status> {
        const tx = channel.transaction();
        const events = await tx.take(100);
        await tx.commit();
        if (events.length === 0) return 'backoff';
        clock += 1;
        turnOfBatch.push(turn);
        return 'ready';
      },
    };
    const runner = new SinkRunner(new DefaultSinkProcessor([{ name: 'busy', sink }]), { logger: silentLogger, channels: [channel], now: () => clock });
    runner.start();
    for (let i = 0; i < 1000 && channel.size > 0; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(channel.size).to.equal(0);
    const perTurn: number[] = [];
    for (const [i, t] of turnOfBatch.entries()) {
      if (i > 0 && t === turnOfBatch[i - 1]) perTurn[perTurn.length - 1]!++;
      else perTurn.push(1);
    }
    // 100 batches of 100: while the channel is more than half full (checked after each batch: the
    // first 49), five batches (5 ms) per turn; the tenth slice ends at the 50th batch, which leaves
    // it half full; then one batch per turn.
    expect(perTurn.join(' ')).to.equal([...Array<number>(10).fill(5), ...Array<number>(50).fill(1)].join(' '));
    counting = false;
    // Drained, a source putting one event per turn gets each taken within a turn or two.
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      const tx = channel.transaction();
      tx.put([createEvent(`late-${i}`)]);
      await tx.commit();
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      seen.push(channel.size);
    }
    expect(seen).to.deep.equal([0, 0, 0, 0, 0]);
    await runner.stop(0);
  });

  it('yields after every batch when no channel it drains tells its size (none given here)', async () => {
    let clock = 0;
    let turn = 0;
    let counting = true;
    const tick = (): void => {
      turn++;
      if (counting) setImmediate(tick);
    };
    setImmediate(tick);
    const turnOfBatch: number[] = [];
    const sink: Sink = {
      name: 'busy',
      start: async () => undefined,
      stop: async () => undefined,
      process: async (): Promise<Status> => {
        clock += 1;
        turnOfBatch.push(turn);
        return 'ready';
      },
    };
    const runner = new SinkRunner(new DefaultSinkProcessor([{ name: 'busy', sink }]), { logger: silentLogger, now: () => clock });
    runner.start();
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    await runner.stop(0);
    counting = false;
    expect(turnOfBatch.length).to.be.greaterThan(10);
    expect(new Set(turnOfBatch).size, turnOfBatch.join(' ')).to.equal(turnOfBatch.length);
  });
});
