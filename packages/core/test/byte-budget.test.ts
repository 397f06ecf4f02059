import { expect } from 'chai';
import { ByteBudget } from '../src/index.js';

describe('ByteBudget', () => {
  it('reserves all or nothing against its own limit and its parent, and releases to both', () => {
    const agent = new ByteBudget(100);
    const a = new ByteBudget(80, agent);
    const b = new ByteBudget(0, agent);
    expect(a.reserve(60)).to.equal(true);
    expect(a.reserve(30)).to.equal(false); // own limit
    expect(a.wouldOverflow(30)).to.equal('own');
    expect(b.reserve(50)).to.equal(false); // parent's limit: 60 + 50 > 100
    expect(b.wouldOverflow(50)).to.equal('parent');
    expect([a.used, b.used, agent.used]).to.deep.equal([60, 0, 60]);
    expect(b.reserve(40)).to.equal(true);
    expect(agent.used).to.equal(100);
    a.release(60);
    expect([a.used, agent.used]).to.deep.equal([0, 40]);
    expect(a.reserve(60)).to.equal(true);
  });

  it('has no limit at 0 and never goes below zero', () => {
    const free = new ByteBudget(0);
    expect(free.reserve(Number.MAX_SAFE_INTEGER)).to.equal(true);
    free.release(Number.MAX_SAFE_INTEGER);
    free.release(10);
    expect(free.used).to.equal(0);
  });
});
