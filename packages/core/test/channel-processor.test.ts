import { expect } from 'chai';
import {
  ChannelProcessor, createComponentContext, createEvent, memoryChannel, ReplicatingSelector, type Channel, type Interceptor, type MemoryChannel,
} from '../src/index.js';

async function channel(name: string, capacity = 100): Promise<MemoryChannel> {
  const c = memoryChannel.create({ capacity, transactionCapacity: 100, byteCapacity: '0', keepAlive: '0' }, createComponentContext({ name, kind: 'CHANNEL' })) as MemoryChannel;
  await c.start();
  return c;
}

function processorFor(channels: Channel[], optional: string[] = [], interceptors: Interceptor[] = []) {
  const ctx = createComponentContext({ name: 'r1', kind: 'SOURCE' });
  const processor = new ChannelProcessor({
    source: 'r1', interceptors, selector: new ReplicatingSelector({ optional }, new Map(channels.map((c) => [c.name, c]))),
    metrics: ctx.metrics, telemetry: ctx.telemetry, logger: ctx.logger,
  });
  return { processor, metrics: ctx.metrics, telemetry: ctx.telemetry };
}

describe('ChannelProcessor', () => {
  it('commits the batch to every required channel and counts it', async () => {
    const [a, b] = [await channel('a'), await channel('b')];
    const { processor, metrics } = processorFor([a, b]);
    await processor.deliver([createEvent('1'), createEvent('2')]);
    expect([a.size, b.size]).to.deep.equal([2, 2]);
    expect(metrics.snapshot()).to.include({ EventReceivedCount: 2, EventAcceptedCount: 2, AppendBatchAcceptedCount: 1 });
  });

  it('rejects with SLUICE_CHANNEL_FULL when a required channel is full, and counts ChannelWriteFail', async () => {
    const full = await channel('full', 1);
    const { processor, metrics } = processorFor([full]);
    const error = await processor.deliver([createEvent('1'), createEvent('2')]).then(() => undefined, (e: unknown) => e);
    expect(error).to.have.property('code', 'SLUICE_CHANNEL_FULL');
    expect(full.size).to.equal(0);
    expect(metrics.get('ChannelWriteFail')).to.equal(1);
    expect(metrics.get('EventAcceptedCount')).to.equal(0);
  });

  it('ignores a failing optional channel', async () => {
    const required = await channel('req');
    const optional = await channel('opt', 1);
    const { processor } = processorFor([required, optional], ['opt']);
    await processor.deliver([createEvent('1'), createEvent('2')]);
    expect(required.size).to.equal(2);
    expect(optional.size).to.equal(0);
  });

  it('runs interceptors in order and commits only the events they keep', async () => {
    const c = await channel('c');
    const tag: Interceptor = { intercept: (events) => { for (const e of events) e.headers.tag = 'x'; return events; } };
    const dropOdd: Interceptor = { intercept: (events) => events.filter((e) => Number(e.body.toString()) % 2 === 0) };
    const { processor } = processorFor([c], [], [tag, dropOdd]);
    await processor.deliver([createEvent('1'), createEvent('2'), createEvent('4')]);
    const tx = c.transaction();
    const got = await tx.take(10);
    await tx.commit();
    expect(got.map((e) => [e.body.toString(), e.headers.tag])).to.deep.equal([['2', 'x'], ['4', 'x']]);
  });

  it('emits source.events_received telemetry', async () => {
    const c = await channel('c');
    const { processor, telemetry } = processorFor([c]);
    const seen: number[] = [];
    const sub = telemetry.events$.subscribe((e) => seen.push(e.count));
    await processor.deliver([createEvent('ab'), createEvent('c')]);
    sub.unsubscribe();
    expect(seen).to.deep.equal([2]);
  });
});
