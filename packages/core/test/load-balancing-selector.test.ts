import { expect } from 'chai';
import { LoadBalancingSelector, loadBalancingSelector, createEvent, type Channel, type Routing } from '../src/index.js';

const channels = new Map(['c1', 'c2', 'c3'].map((name) => [name, { name } as Channel]));
const summary = (routing: Routing): [string, string[]][] => routing.required.map((b) => [b.name, b.events.map((e) => e.body.toString())]);

describe('load_balancing selector', () => {
  it('round_robin sends each event to the next channel, continuing across batches', () => {
    const selector = new LoadBalancingSelector({ policy: 'round_robin' }, channels);
    expect(summary(selector.route(['a', 'b', 'c', 'd'].map((b) => createEvent(b))))).to.deep.equal([['c1', ['a', 'd']], ['c2', ['b']], ['c3', ['c']]]);
    expect(summary(selector.route([createEvent('e')]))).to.deep.equal([['c2', ['e']]]);
  });

  it('random picks one channel per event by the random source, with no optional channels', () => {
    const draws = [0.9, 0.1, 0.5];
    const selector = new LoadBalancingSelector({ policy: 'random' }, channels, () => draws.shift()!);
    const routing = selector.route(['a', 'b', 'c'].map((b) => createEvent(b)));
    expect(summary(routing)).to.deep.equal([['c1', ['b']], ['c2', ['c']], ['c3', ['a']]]);
    expect(routing.optional).to.deep.equal([]);
  });

  it('translates Flume selector.policy in fromFlume', () => {
    expect(loadBalancingSelector.fromFlume!({ policy: 'RANDOM' })).to.deep.equal({ policy: 'random' });
  });
});
