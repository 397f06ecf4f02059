import { expect } from 'chai';
import { createComponentContext, seqSource, type PollableSource, type SluiceEvent } from '../src/index.js';

describe('seq source', () => {
  it('generates bodies that start with the decimal sequence number, padded to bodySize, and stops at count', async () => {
    const batches: SluiceEvent[][] = [];
    const ctx = { ...createComponentContext({ name: 's', kind: 'SOURCE' }), deliver: async (b: SluiceEvent[]) => { batches.push(b); } };
    const source = seqSource.create({ count: 25, start: 98, batchSize: 10, bodySize: 8, inFlight: 4 }, ctx) as PollableSource;
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
    const source = seqSource.create({ count: 3, start: 0, batchSize: 3, bodySize: 0, inFlight: 1 }, ctx) as PollableSource;
    await source.poll().catch(() => undefined);
    fail = false;
    await source.poll();
    expect(seen).to.deep.equal(['0', '1', '2']);
  });

  it('keeps inFlight batches being committed, and counts a batch done only after every batch before it', async () => {
    const pending: { first: string; settle: (error?: Error) => void }[] = [];
    const ctx = {
      ...createComponentContext({ name: 's', kind: 'SOURCE' }),
      deliver: (b: SluiceEvent[]) => new Promise<void>((resolve, reject) => {
        pending.push({ first: b[0]!.body.toString(), settle: (error) => (error ? reject(error) : resolve()) });
      }),
    };
    const source = seqSource.create({ count: 0, start: 0, batchSize: 2, bodySize: 0, inFlight: 3 }, ctx) as PollableSource;
    expect(await source.poll()).to.equal('ready');
    expect(await source.poll()).to.equal('ready');
    // The third batch fills inFlight: poll waits for the oldest commit.
    let third: string | undefined;
    const polled = source.poll().then((status) => (third = status));
    await new Promise((resolve) => setImmediate(resolve));
    expect(pending.map((p) => p.first)).to.deep.equal(['0', '2', '4']);
    expect(third).to.equal(undefined);
    // A later commit finishing first frees nothing: acknowledgement is in order.
    pending[1]!.settle();
    await new Promise((resolve) => setImmediate(resolve));
    expect(third).to.equal(undefined);
    pending[0]!.settle();
    await polled;
    expect(third).to.equal('ready');
  });

  it('generates again from a failed batch, discarding the batches started after it (even committed ones)', async () => {
    const pending: { first: string; settle: (error?: Error) => void }[] = [];
    const ctx = {
      ...createComponentContext({ name: 's', kind: 'SOURCE' }),
      deliver: (b: SluiceEvent[]) => new Promise<void>((resolve, reject) => {
        pending.push({ first: b[0]!.body.toString(), settle: (error) => (error ? reject(error) : resolve()) });
      }),
    };
    const source = seqSource.create({ count: 0, start: 0, batchSize: 2, bodySize: 0, inFlight: 3 }, ctx) as PollableSource;
    await source.poll();
    await source.poll();
    const third = source.poll().then(() => 'ready', (error: Error) => error.message);
    await new Promise((resolve) => setImmediate(resolve));
    pending[0]!.settle();
    pending[1]!.settle(new Error('fsync failed'));
    // Batch 4 is still in flight: the failure is thrown only once it settled, whatever its outcome.
    await new Promise((resolve) => setImmediate(resolve));
    pending[2]!.settle();
    expect(await third).to.equal('fsync failed');
    expect(await source.poll()).to.equal('ready');
    expect(pending.map((p) => p.first)).to.deep.equal(['0', '2', '4', '2']);
  });

  it('at count, waits for the batches in flight and generates a failed one again before reporting backoff', async () => {
    let failed = false;
    const seen: string[] = [];
    const ctx = {
      ...createComponentContext({ name: 's', kind: 'SOURCE' }),
      deliver: async (b: SluiceEvent[]) => {
        await new Promise((resolve) => setImmediate(resolve));
        if (b[0]!.body.toString() === '2' && !failed) {
          failed = true;
          throw new Error('full');
        }
        seen.push(...b.map((e) => e.body.toString()));
      },
    };
    const source = seqSource.create({ count: 6, start: 0, batchSize: 2, bodySize: 0, inFlight: 4 }, ctx) as PollableSource;
    const statuses: string[] = [];
    for (let i = 0; i < 8 && statuses.at(-1) !== 'backoff'; i++) statuses.push(await source.poll().catch((error: Error) => error.message));
    expect(statuses).to.deep.equal(['ready', 'ready', 'ready', 'full', 'ready', 'ready', 'backoff']);
    // Batch 4-5 was committed though batch 2-3 failed, and is delivered again: at-least-once.
    expect(seen).to.deep.equal(['0', '1', '4', '5', '2', '3', '4', '5']);
  });

  it('waits at stop for the batches still being committed', async () => {
    let release: () => void = () => undefined;
    const ctx = { ...createComponentContext({ name: 's', kind: 'SOURCE' }), deliver: () => new Promise<void>((resolve) => { release = resolve; }) };
    const source = seqSource.create({ count: 0, start: 0, batchSize: 2, bodySize: 0, inFlight: 4 }, ctx) as PollableSource;
    await source.poll();
    let stopped = false;
    const stopping = source.stop().then(() => (stopped = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).to.equal(false);
    release();
    await stopping;
    expect(stopped).to.equal(true);
  });

  it('refuses batches over 64 MiB of bodies at validation (a 2 GiB bodySize took an agent to 4 GB)', () => {
    expect(seqSource.check!({ count: 0, start: 0, batchSize: 1000, bodySize: 256, inFlight: 4 })).to.deep.equal([]);
    expect(seqSource.check!({ count: 0, start: 0, batchSize: 1, bodySize: 64 * 1024 * 1024, inFlight: 4 })).to.deep.equal([]);
    const [problem] = seqSource.check!({ count: 0, start: 0, batchSize: 1000, bodySize: 1024 * 1024, inFlight: 4 });
    expect(problem?.path).to.equal('/bodySize');
    expect(problem?.message).to.match(/over the 64 MiB a seq batch may hold/);
  });
});
