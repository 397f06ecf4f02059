import { expect } from 'chai';
import {
  BatchSink, createComponentContext, createEvent, failoverSinkProcessor, FailoverSinkProcessor, LoadBalanceSinkProcessor, loadBalanceSinkProcessor,
  memoryChannel, SluiceError, type Channel, type MemoryChannel, type NamedSink, type SinkContext, type SluiceEvent,
} from '../src/index.js';

/** A sink that records what it wrote and fails while `down` is set. */
class SwitchableSink extends BatchSink {
  readonly written: string[] = [];
  down = false;
  constructor(ctx: SinkContext, batchSize: number) {
    super(ctx, batchSize);
  }
  protected async write(events: SluiceEvent[]): Promise<void> {
    if (this.down) throw new SluiceError('SLUICE_DELIVERY_FAILED', `${this.name} is down`);
    for (const e of events) this.written.push(e.body.toString());
  }
}

async function channelWith(count: number): Promise<MemoryChannel> {
  const c = memoryChannel.create({ capacity: 1000, transactionCapacity: 100, byteCapacity: '0', keepAlive: '0' }, createComponentContext({ name: 'c1', kind: 'CHANNEL' })) as MemoryChannel;
  await c.start();
  if (count > 0) {
    const tx = c.transaction();
    tx.put(Array.from({ length: count }, (_, i) => createEvent(String(i))));
    await tx.commit();
  }
  return c;
}

function sinks(channel: Channel, ...names: string[]): (NamedSink & { sink: SwitchableSink })[] {
  return names.map((name) => ({ name, sink: new SwitchableSink({ ...createComponentContext({ name, kind: 'SINK' }), channel }, 2) }));
}

class Clock {
  t = 1_000_000;
  now = (): number => this.t;
}

describe('failover sink processor', () => {
  it('uses the highest priority sink, and on failure delivers the same batch through the next one', async () => {
    const channel = await channelWith(4);
    const [k1, k2] = sinks(channel, 'k1', 'k2');
    const processor = new FailoverSinkProcessor({ priority: { k1: 5, k2: 10 }, maxPenalty: '30s' }, [k1!, k2!], 'g1');
    await processor.process();
    expect(k2!.sink.written).to.deep.equal(['0', '1']);
    k2!.sink.down = true;
    await processor.process();
    expect(k1!.sink.written).to.deep.equal(['2', '3']);
    expect(processor.active).to.equal('k1');
  });

  it('keeps group order for equal or missing priorities', async () => {
    const channel = await channelWith(2);
    const [a, b] = sinks(channel, 'a', 'b');
    const processor = new FailoverSinkProcessor({ priority: {}, maxPenalty: '30s' }, [a!, b!], 'g1');
    await processor.process();
    expect(a!.sink.written).to.deep.equal(['0', '1']);
  });

  it('returns to the recovered primary after its penalty, which doubles per failure up to maxPenalty', async () => {
    const clock = new Clock();
    const channel = await channelWith(20);
    const [primary, backup] = sinks(channel, 'primary', 'backup');
    const processor = new FailoverSinkProcessor({ priority: { primary: 10, backup: 1 }, maxPenalty: '3s' }, [primary!, backup!], 'g1', undefined, clock.now);
    primary!.sink.down = true;
    await processor.process(); // primary fails (penalty 2 s), backup delivers 0,1
    clock.t += 1999;
    await processor.process(); // still penalised: backup delivers 2,3
    expect(processor.active).to.equal('backup');
    clock.t += 1;
    await processor.process(); // retried, fails again: penalty min(3 s, 4 s) = 3 s; backup delivers 4,5
    clock.t += 2999;
    await processor.process(); // backup 6,7
    primary!.sink.down = false;
    clock.t += 1;
    await processor.process(); // primary retried and back: 8,9
    expect(processor.active).to.equal('primary');
    await processor.process(); // 10,11
    expect(backup!.sink.written).to.deep.equal(['0', '1', '2', '3', '4', '5', '6', '7']);
    expect(primary!.sink.written).to.deep.equal(['8', '9', '10', '11']);
  });

  it('does not take a dead sink back when its retry finds nothing to deliver (backoff): only a delivered batch revives it', async () => {
    const clock = new Clock();
    const channel = await channelWith(2);
    const [primary, backup] = sinks(channel, 'primary', 'backup');
    const processor = new FailoverSinkProcessor({ priority: { primary: 10, backup: 1 }, maxPenalty: '30s' }, [primary!, backup!], 'g1', undefined, clock.now);
    primary!.sink.down = true;
    await processor.process(); // primary fails, backup delivers 0,1; channel now empty
    clock.t += 2000;
    expect(await processor.process()).to.equal('backoff'); // primary retried on an empty channel
    expect(processor.active).to.equal('backup');
    const tx = channel.transaction();
    tx.put([createEvent('2'), createEvent('3')]);
    await tx.commit();
    await processor.process(); // primary still down: penalised again, backup delivers 2,3
    expect(backup!.sink.written).to.deep.equal(['0', '1', '2', '3']);
    expect(processor.active).to.equal('backup');
  });

  it('rejects with SLUICE_DELIVERY_FAILED when every sink fails, leaving the batch in the channel', async () => {
    const channel = await channelWith(2);
    const group = sinks(channel, 'k1', 'k2');
    group.forEach((s) => { s.sink.down = true; });
    const processor = new FailoverSinkProcessor({ priority: {}, maxPenalty: '30s' }, group, 'g1');
    const error = await processor.process().then(() => undefined, (e: unknown) => e);
    expect(error).to.have.property('code', 'SLUICE_DELIVERY_FAILED');
    expect(channel.size).to.equal(2);
  });

  it('rejects a priority for a sink outside the group with SLUICE_CONFIG_INVALID', async () => {
    const channel = await channelWith(0);
    expect(() => new FailoverSinkProcessor({ priority: { nope: 1 }, maxPenalty: '1s' }, sinks(channel, 'k1'), 'g1')).to.throw().with.property('code', 'SLUICE_CONFIG_INVALID');
  });

  it('translates Flume priority.<sink> and maxpenalty (ms) in fromFlume', () => {
    expect(failoverSinkProcessor.fromFlume!({ 'priority.k1': '10', 'priority.k2': '5', maxpenalty: '10000' })).to.deep.equal({ priority: { k1: '10', k2: '5' }, maxPenalty: '10000ms' });
  });
});

describe('load_balance sink processor', () => {
  it('round_robin alternates between the sinks', async () => {
    const channel = await channelWith(6);
    const [a, b] = sinks(channel, 'a', 'b');
    const processor = new LoadBalanceSinkProcessor({ selector: 'round_robin', backoff: false, maxTimeOut: '30s' }, [a!, b!], 'g1');
    for (let i = 0; i < 3; i++) await processor.process();
    expect(a!.sink.written).to.deep.equal(['0', '1', '4', '5']);
    expect(b!.sink.written).to.deep.equal(['2', '3']);
  });

  it('random picks sinks by the random source', async () => {
    const channel = await channelWith(4);
    const [a, b] = sinks(channel, 'a', 'b');
    const draws = [0.9, 0.1];
    const processor = new LoadBalanceSinkProcessor({ selector: 'random', backoff: false, maxTimeOut: '30s' }, [a!, b!], 'g1', undefined, Date.now, () => draws.shift() ?? 0.5);
    await processor.process(); // 0.9 keeps [a,b] order
    await processor.process(); // 0.1 swaps to [b,a]
    expect(a!.sink.written).to.deep.equal(['0', '1']);
    expect(b!.sink.written).to.deep.equal(['2', '3']);
  });

  it('tries the next sink when one fails, so no batch is lost', async () => {
    const channel = await channelWith(4);
    const [a, b] = sinks(channel, 'a', 'b');
    a!.sink.down = true;
    const processor = new LoadBalanceSinkProcessor({ selector: 'round_robin', backoff: false, maxTimeOut: '30s' }, [a!, b!], 'g1');
    await processor.process();
    await processor.process();
    expect(b!.sink.written).to.deep.equal(['0', '1', '2', '3']);
  });

  it('with backoff leaves a failed sink out for min(maxTimeOut, 1s x 2^fails)', async () => {
    const clock = new Clock();
    const channel = await channelWith(12);
    const [a, b] = sinks(channel, 'a', 'b');
    a!.sink.down = true;
    const processor = new LoadBalanceSinkProcessor({ selector: 'round_robin', backoff: true, maxTimeOut: '1500ms' }, [a!, b!], 'g1', undefined, clock.now);
    await processor.process(); // a fails (out for 1.5 s), b: 0,1
    a!.sink.down = false;
    await processor.process(); // b: 2,3
    await processor.process(); // a still out, b: 4,5
    clock.t += 1500;
    await processor.process(); // round robin start b: 6,7
    await processor.process(); // a is back: 8,9
    expect(a!.sink.written).to.deep.equal(['8', '9']);
    expect(b!.sink.written).to.deep.equal(['0', '1', '2', '3', '4', '5', '6', '7']);
  });

  it('rejects with SLUICE_DELIVERY_FAILED when all sinks fail, leaving the batch in the channel', async () => {
    const channel = await channelWith(2);
    const group = sinks(channel, 'a', 'b');
    group.forEach((s) => { s.sink.down = true; });
    const processor = new LoadBalanceSinkProcessor({ selector: 'round_robin', backoff: true, maxTimeOut: '30s' }, group, 'g1');
    const error = await processor.process().then(() => undefined, (e: unknown) => e);
    expect(error).to.have.property('code', 'SLUICE_DELIVERY_FAILED');
    expect(channel.size).to.equal(2);
  });

  it('translates Flume selector, backoff and selector.maxTimeOut (ms) in fromFlume', () => {
    expect(loadBalanceSinkProcessor.fromFlume!({ selector: 'RANDOM', backoff: 'true', 'selector.maxTimeOut': '5000' })).to.deep.equal({ selector: 'random', backoff: 'true', maxTimeOut: '5000ms' });
  });
});
