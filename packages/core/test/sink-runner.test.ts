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
  it('drains a channel more than half full several batches per event-loop turn, yet yields within a few ms so timers run; events put after the drain are taken within a turn or two', async () => {
    const channel = await channelWith(10000);
    let calls = 0;
    const sink: Sink = {
      name: 'busy',
      start: async () => undefined,
      stop: async () => undefined,
      // Batches taken and committed without any I/O: only the runner's own yield lets the loop turn.
      async process(): Promise<Status> {
        const tx = channel.transaction();
        const events = await tx.take(5);
        await tx.commit();
        if (events.length === 0) return 'backoff';
        calls++;
        return 'ready';
      },
    };
    const runner = new SinkRunner(new DefaultSinkProcessor([{ name: 'busy', sink }]), { logger: silentLogger, channels: [channel] });
    runner.start();
    const perTurn: number[] = [];
    const timerDelays: number[] = [];
    while (channel.size * 2 > channel.capacity) {
      const before = calls;
      const asked = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 0));
      timerDelays.push(performance.now() - asked);
      perTurn.push(calls - before);
    }
    // Batches back to back between two turns while more than half full (one yield per batch would give about 1)...
    expect(Math.max(...perTurn), perTurn.join(' ')).to.be.greaterThan(10);
    // ...but timers still fire: the loop turns every few ms, not only when the channel runs dry.
    expect(perTurn.length, 'turns while draining').to.be.greaterThan(1);
    expect(Math.min(...timerDelays), timerDelays.map((d) => d.toFixed(1)).join(' ')).to.be.lessThan(200);
    // Below half full it yields after each batch; once drained, a source putting one event per
    // turn gets each taken within a turn or two.
    for (let i = 0; i < 5000 && channel.size > 0; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(channel.size).to.equal(0);
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
});
