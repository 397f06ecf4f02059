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
  it('delivers several ready batches per event-loop turn, yet yields within a few ms so timers and I/O run', async () => {
    let calls = 0;
    const sink: Sink = {
      name: 'busy',
      start: async () => undefined,
      stop: async () => undefined,
      // Always another batch, done without any I/O: only the runner's own yield lets the loop turn.
      process: async (): Promise<Status> => {
        calls++;
        return 'ready';
      },
    };
    const runner = new SinkRunner(new DefaultSinkProcessor([{ name: 'busy', sink }]), { logger: silentLogger });
    runner.start();
    const perTurn: number[] = [];
    const timerDelays: number[] = [];
    for (let turn = 0; turn < 20; turn++) {
      const before = calls;
      const asked = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 0));
      timerDelays.push(performance.now() - asked);
      perTurn.push(calls - before);
    }
    await runner.stop(0);
    // Batches back to back between two turns (one yield per batch would give about 1)...
    expect(Math.max(...perTurn), perTurn.join(' ')).to.be.greaterThan(10);
    // ...but a timer still fires: the loop turns every few ms, not only when the sink runs dry.
    expect(Math.min(...timerDelays), timerDelays.map((d) => d.toFixed(1)).join(' ')).to.be.lessThan(200);
  });
});
