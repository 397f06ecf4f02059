import { expect } from 'chai';
import {
  ChannelProcessor, createComponentContext, createEvent, memoryChannel, multiplexingSelector, type Channel, type ChannelSelector, type MemoryChannel,
  type MetricGroup, type SluiceEvent,
} from '../src/index.js';

async function channel(name: string, capacity = 100): Promise<MemoryChannel> {
  const c = memoryChannel.create({ capacity, transactionCapacity: 100, byteCapacity: '0', keepAlive: '0' }, createComponentContext({ name, kind: 'CHANNEL' })) as MemoryChannel;
  await c.start();
  return c;
}

async function drain(c: Channel): Promise<string[]> {
  const tx = c.transaction();
  const events = await tx.take(100);
  await tx.commit();
  return events.map((e) => e.body.toString());
}

function selector(config: Record<string, unknown>, channels: Channel[]): { selector: ChannelSelector; metrics: MetricGroup } {
  const ctx = { ...createComponentContext({ name: 's', kind: 'SELECTOR' }), channels: new Map(channels.map((c) => [c.name, c])) };
  return { selector: multiplexingSelector.create({ header: 'flume.selector.header', mapping: {}, default: [], optional: {}, ...config } as never, ctx), metrics: ctx.metrics };
}

const ev = (body: string, tier?: string): SluiceEvent => createEvent(body, tier === undefined ? {} : { tier });

describe('multiplexing selector', () => {
  it('routes by header value through mapping, falling back to default for unmapped and missing values', async () => {
    const [c1, c2, c3] = [await channel('c1'), await channel('c2'), await channel('c3')];
    const { selector: s } = selector({ header: 'tier', mapping: { gold: ['c1', 'c2'], silver: ['c2'] }, default: ['c3'] }, [c1, c2, c3]);
    const ctx = createComponentContext({ name: 'r1', kind: 'SOURCE' });
    const processor = new ChannelProcessor({ source: 'r1', interceptors: [], selector: s, metrics: ctx.metrics, telemetry: ctx.telemetry, logger: ctx.logger });
    await processor.deliver([ev('g1', 'gold'), ev('s1', 'silver'), ev('b1', 'bronze'), ev('n1')]);
    expect(await drain(c1)).to.deep.equal(['g1']);
    expect(await drain(c2)).to.deep.equal(['g1', 's1']);
    expect(await drain(c3)).to.deep.equal(['b1', 'n1']);
  });

  it('uses flume.selector.header by default', () => {
    const { selector: s } = selector({ mapping: { x: ['a'] } }, [{ name: 'a' } as Channel]);
    const routing = s.route([createEvent('1', { 'flume.selector.header': 'x' })]);
    expect(routing.required.map((b) => b.name)).to.deep.equal(['a']);
  });

  it('puts optional channels in the best-effort part, and a channel both required and optional counts as required', () => {
    const chans = ['a', 'b', 'c'].map((name) => ({ name }) as Channel);
    const { selector: s } = selector({ header: 'tier', mapping: { gold: ['a'] }, optional: { gold: ['a', 'b'], silver: ['c'] }, default: ['b'] }, chans);
    const routing = s.route([ev('g', 'gold'), ev('s', 'silver')]);
    expect(routing.required.map((b) => [b.name, b.events.map((e) => e.body.toString())])).to.deep.equal([['a', ['g']], ['b', ['s']]]);
    expect(routing.optional.map((b) => [b.name, b.events.map((e) => e.body.toString())])).to.deep.equal([['b', ['g']], ['c', ['s']]]);
  });

  it('drops events that map to no channel and counts EventUnroutedCount', () => {
    const { selector: s, metrics } = selector({ header: 'tier', mapping: { gold: ['a'] } }, [{ name: 'a' } as Channel]);
    const routing = s.route([ev('x', 'other'), ev('g', 'gold')]);
    expect(routing.required.map((b) => b.events.length)).to.deep.equal([1]);
    expect(metrics.get('EventUnroutedCount')).to.equal(1);
  });

  it('rejects the whole batch when a required channel is full', async () => {
    const [ok, full] = [await channel('ok'), await channel('full', 1)];
    const { selector: s } = selector({ header: 'tier', mapping: { gold: ['full'] }, default: ['ok'] }, [ok, full]);
    const ctx = createComponentContext({ name: 'r1', kind: 'SOURCE' });
    const processor = new ChannelProcessor({ source: 'r1', interceptors: [], selector: s, metrics: ctx.metrics, telemetry: ctx.telemetry, logger: ctx.logger });
    const error = await processor.deliver([ev('1', 'gold'), ev('2', 'gold')]).then(() => undefined, (e: unknown) => e);
    expect(error).to.have.property('code', 'SLUICE_CHANNEL_FULL');
  });

  it('translates Flume mapping.<v>, optional.<v> and default lists in fromFlume', () => {
    expect(multiplexingSelector.fromFlume!({ header: 'tier', 'mapping.gold': 'c1  c2', 'optional.gold': 'c3', default: 'c4' }))
      .to.deep.equal({ header: 'tier', mapping: { gold: ['c1', 'c2'] }, optional: { gold: ['c3'] }, default: ['c4'] });
  });
});
