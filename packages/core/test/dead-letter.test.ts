import { expect } from 'chai';
import {
  BatchSink, createComponentContext, createEvent, memoryChannel, SluiceError, type MemoryChannel, type SinkContext, type SluiceEvent,
} from '../src/index.js';

/** A sink whose destination refuses with the error it is given. */
class RefusingSink extends BatchSink {
  error: Error | undefined;
  readonly written: string[] = [];
  protected async write(events: SluiceEvent[]): Promise<void> {
    if (this.error) throw this.error;
    for (const e of events) this.written.push(e.body.toString());
  }
}

async function channel(name: string, count = 0): Promise<MemoryChannel> {
  const c = memoryChannel.create({ capacity: 100, transactionCapacity: 100, byteCapacity: '0', keepAlive: '0' }, createComponentContext({ name, kind: 'CHANNEL' })) as MemoryChannel;
  await c.start();
  if (count > 0) {
    const tx = c.transaction();
    tx.put(Array.from({ length: count }, (_, i) => createEvent(String(i), { n: String(i) })));
    await tx.commit();
  }
  return c;
}

async function setup(after: number): Promise<{ sink: RefusingSink; main: MemoryChannel; dead: MemoryChannel; ctx: SinkContext }> {
  const main = await channel('main', 3);
  const dead = await channel('dead');
  const ctx: SinkContext = { ...createComponentContext({ name: 'k1', kind: 'SINK' }), channel: main, deadLetter: { name: 'dead', channel: dead, after } };
  return { sink: new RefusingSink(ctx, 2), main, dead, ctx };
}

describe('dead-letter path', () => {
  it('moves a batch to the dead-letter channel after `after` non-retriable failures and counts EventDeadLetterCount', async () => {
    const { sink, main, dead, ctx } = await setup(2);
    sink.error = new SluiceError('SLUICE_EVENT_REJECTED', 'HTTP 400');
    const first = await sink.process().then(() => undefined, (e: unknown) => e);
    expect(first).to.have.property('code', 'SLUICE_EVENT_REJECTED');
    expect(main.size).to.equal(3);
    expect(await sink.process()).to.equal('ready');
    expect(main.size).to.equal(1);
    const tx = dead.transaction();
    const moved = await tx.take(10);
    await tx.commit();
    expect(moved.map((e) => [e.body.toString(), e.headers.n, e.headers['sluice.deadletter.code'], e.headers['sluice.deadletter.sink']]))
      .to.deep.equal([['0', '0', 'SLUICE_EVENT_REJECTED', 'k1'], ['1', '1', 'SLUICE_EVENT_REJECTED', 'k1']]);
    expect(ctx.metrics.get('EventDeadLetterCount')).to.equal(2);
    sink.error = undefined;
    await sink.process();
    expect(sink.written).to.deep.equal(['2']);
  });

  it('never dead-letters retriable failures: the batch stays in the channel', async () => {
    const { sink, main, dead } = await setup(1);
    sink.error = new SluiceError('SLUICE_DELIVERY_FAILED', 'connection refused');
    for (let i = 0; i < 3; i++) await sink.process().catch(() => undefined);
    expect(main.size).to.equal(3);
    expect(dead.size).to.equal(0);
  });

  it('counts only consecutive rejections: a retriable failure in between resets the count', async () => {
    const { sink, main, dead } = await setup(2);
    sink.error = new SluiceError('SLUICE_EVENT_REJECTED', '400');
    await sink.process().catch(() => undefined);
    sink.error = new SluiceError('SLUICE_DELIVERY_FAILED', 'timeout');
    await sink.process().catch(() => undefined);
    sink.error = new SluiceError('SLUICE_EVENT_REJECTED', '400');
    await sink.process().catch(() => undefined);
    expect([main.size, dead.size]).to.deep.equal([3, 0]);
  });

  it('keeps the batch in the channel when the dead-letter channel is full', async () => {
    const main = await channel('main', 3);
    const dead = memoryChannel.create({ capacity: 1, transactionCapacity: 100, byteCapacity: '0', keepAlive: '0' }, createComponentContext({ name: 'dead', kind: 'CHANNEL' })) as MemoryChannel;
    await dead.start();
    const sink = new RefusingSink({ ...createComponentContext({ name: 'k1', kind: 'SINK' }), channel: main, deadLetter: { name: 'dead', channel: dead, after: 1 } }, 2);
    sink.error = new SluiceError('SLUICE_EVENT_REJECTED', '400');
    const error = await sink.process().then(() => undefined, (e: unknown) => e);
    expect(error).to.have.property('code', 'SLUICE_EVENT_REJECTED');
    expect([main.size, dead.size]).to.deep.equal([3, 0]);
  });
});
