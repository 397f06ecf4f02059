import { expect } from 'chai';
import { createComponentContext, seqSource, type PollableSource, type SluiceEvent } from '../src/index.js';

describe('seq source', () => {
  it('generates bodies that start with the decimal sequence number, padded to bodySize, and stops at count', async () => {
    const batches: SluiceEvent[][] = [];
    const ctx = { ...createComponentContext({ name: 's', kind: 'SOURCE' }), deliver: async (b: SluiceEvent[]) => { batches.push(b); } };
    const source = seqSource.create({ count: 25, start: 98, batchSize: 10, bodySize: 8 }, ctx) as PollableSource;
    await source.start();
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(await source.poll());
    expect(statuses).to.deep.equal(['ready', 'ready', 'ready', 'backoff']);
    const bodies = batches.flat().map((e) => e.body.toString());
    expect(bodies).to.have.length(25);
    expect(bodies[0]).to.equal('98 xxxxx');
    expect(bodies[2]).to.equal('100 xxxx');
    expect(bodies[24]).to.equal('122 xxxx');
    expect(bodies.map((b) => parseInt(b, 10))).to.deep.equal(Array.from({ length: 25 }, (_, i) => 98 + i));
  });

  it('does not advance when delivery fails', async () => {
    let fail = true;
    const seen: string[] = [];
    const ctx = { ...createComponentContext({ name: 's', kind: 'SOURCE' }), deliver: async (b: SluiceEvent[]) => { if (fail) throw new Error('full'); seen.push(...b.map((e) => e.body.toString())); } };
    const source = seqSource.create({ count: 3, start: 0, batchSize: 3, bodySize: 0 }, ctx) as PollableSource;
    await source.poll().catch(() => undefined);
    fail = false;
    await source.poll();
    expect(seen).to.deep.equal(['0', '1', '2']);
  });

  it('refuses batches over 64 MiB of bodies at validation (a 2 GiB bodySize took an agent to 4 GB)', () => {
    expect(seqSource.check!({ count: 0, start: 0, batchSize: 1000, bodySize: 256 })).to.deep.equal([]);
    expect(seqSource.check!({ count: 0, start: 0, batchSize: 1, bodySize: 64 * 1024 * 1024 })).to.deep.equal([]);
    const [problem] = seqSource.check!({ count: 0, start: 0, batchSize: 1000, bodySize: 1024 * 1024 });
    expect(problem?.path).to.equal('/bodySize');
    expect(problem?.message).to.match(/over the 64 MiB a seq batch may hold/);
  });
});
