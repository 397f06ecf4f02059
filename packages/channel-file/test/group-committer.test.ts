import { expect } from 'chai';
import { GroupCommitter, type GroupLanes } from '../src/group-committer.js';

/** An entry: a name, and whether it puts (data lane) and/or takes (index lane). */
interface Entry {
  name: string;
  put?: boolean;
  take?: boolean;
}

/** A write whose groups stay in flight until the test settles them, in any order. */
class ManualWrites {
  readonly groups: { names: string[]; lanes: GroupLanes; settle: (error?: Error) => void }[] = [];
  readonly discarded: string[] = [];
  readonly committer = new GroupCommitter<Entry>(
    (group, lanes) => new Promise<void>((resolve, reject) => {
      this.groups.push({ names: group.map((e) => e.name), lanes, settle: (error) => (error ? reject(error) : resolve()) });
    }),
    (entry) => ({ data: entry.put === true, index: entry.take === true || entry.put !== true }),
    (entries) => this.discarded.push(...entries.map((e) => e.name)),
  );

  /** Where each submitted entry stands: pending, ok or the error message. */
  readonly outcome = new Map<string, string>();
  /** Names in the order their commits settled. */
  readonly settled: string[] = [];

  submit(entry: Entry): void {
    this.outcome.set(entry.name, 'pending');
    this.committer.submit(entry).then(
      () => {
        this.outcome.set(entry.name, 'ok');
        this.settled.push(entry.name);
      },
      (error: Error) => {
        this.outcome.set(entry.name, error.message);
        this.settled.push(entry.name);
      },
    );
  }

  group(i: number): { names: string[]; lanes: GroupLanes; settle: (error?: Error) => void } {
    const group = this.groups[i];
    if (!group) throw new Error(`no group ${i} was written (groups: ${JSON.stringify(this.groups.map((g) => g.names))})`);
    return group;
  }
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('GroupCommitter', () => {
  it('writes puts one group at a time and resolves them in submission order, each only after its own write returned', async () => {
    const w = new ManualWrites();
    w.submit({ name: 'p1', put: true });
    await turn();
    expect(w.groups.map((g) => g.names)).to.deep.equal([['p1']]);
    // Submitted while p1's write is in flight: they wait, and then share one write.
    w.submit({ name: 'p2', put: true });
    w.submit({ name: 'p3', put: true });
    await turn();
    expect(w.groups).to.have.length(1);
    expect(w.outcome.get('p1')).to.equal('pending');
    w.group(0).settle();
    await turn();
    expect(w.outcome.get('p1')).to.equal('ok');
    expect(w.groups.map((g) => g.names)).to.deep.equal([['p1'], ['p2', 'p3']]);
    expect(w.outcome.get('p2'), 'not acknowledged before its bytes are written').to.equal('pending');
    w.group(1).settle();
    await w.committer.idle();
    expect(w.settled).to.deep.equal(['p1', 'p2', 'p3']);
  });

  it('writes takes in the index lane while a put is in flight, so a take commit does not wait for a put fsync', async () => {
    const w = new ManualWrites();
    w.submit({ name: 'p1', put: true });
    await turn();
    w.submit({ name: 't1', take: true });
    w.submit({ name: 'p2', put: true });
    await turn();
    expect(w.groups.map((g) => [g.names, g.lanes])).to.deep.equal([
      [['p1'], { data: true, index: false }],
      [['t1'], { data: false, index: true }],
    ]);
    w.group(1).settle();
    await turn();
    expect(w.outcome.get('t1')).to.equal('ok');
    expect(w.outcome.get('p1')).to.equal('pending');
    // A second take waits for the index lane only.
    w.submit({ name: 't2', take: true });
    await turn();
    expect(w.group(2).names).to.deep.equal(['t2']);
    w.group(0).settle();
    await turn();
    expect(w.group(3).names).to.deep.equal(['p2']);
    w.group(2).settle();
    w.group(3).settle();
    await w.committer.idle();
    expect(w.settled).to.deep.equal(['t1', 'p1', 't2', 'p2']);
  });

  it('a transaction that puts and takes waits until both lanes are free and is written with everything pending', async () => {
    const w = new ManualWrites();
    w.submit({ name: 'p1', put: true });
    await turn();
    w.submit({ name: 'm1', put: true, take: true });
    w.submit({ name: 't1', take: true });
    await turn();
    expect(w.groups, 'the index lane is free, but the mixed entry keeps everything behind it waiting').to.have.length(1);
    w.group(0).settle();
    await turn();
    expect(w.group(1).names).to.deep.equal(['m1', 't1']);
    expect(w.group(1).lanes).to.deep.equal({ data: true, index: true });
    w.group(1).settle();
    await w.committer.idle();
    expect(w.settled).to.deep.equal(['p1', 'm1', 't1']);
  });

  it('a failed put write rejects its group and every put pending behind it, unwritten; takes and later puts go on', async () => {
    const w = new ManualWrites();
    w.submit({ name: 'p1', put: true });
    await turn();
    w.submit({ name: 'p2', put: true });
    w.submit({ name: 't1', take: true });
    w.submit({ name: 'p3', put: true });
    await turn();
    expect(w.groups.map((g) => g.names)).to.deep.equal([['p1'], ['t1']]);
    w.group(0).settle(new Error('EIO'));
    await turn();
    expect(w.discarded).to.deep.equal(['p2', 'p3']);
    expect(Object.fromEntries(w.outcome)).to.deep.equal({ p1: 'EIO', p2: 'EIO', t1: 'pending', p3: 'EIO' });
    expect(w.settled).to.deep.equal(['p1', 'p2', 'p3']);
    expect(w.groups, 'nothing behind the failure was written').to.have.length(2);
    w.group(1).settle();
    w.submit({ name: 'p4', put: true });
    await turn();
    expect(w.group(2).names).to.deep.equal(['p4']);
    w.group(2).settle();
    await w.committer.idle();
    expect(Object.fromEntries(w.outcome)).to.deep.equal({ p1: 'EIO', p2: 'EIO', t1: 'ok', p3: 'EIO', p4: 'ok' });
  });

  it('a failed take write rejects the takes pending behind it but no put', async () => {
    const w = new ManualWrites();
    w.submit({ name: 't1', take: true });
    await turn();
    w.submit({ name: 't2', take: true });
    w.submit({ name: 'p1', put: true });
    await turn();
    expect(w.groups.map((g) => g.names)).to.deep.equal([['t1'], ['p1']]);
    w.group(0).settle(new Error('index write failed'));
    await turn();
    expect(w.discarded).to.deep.equal(['t2']);
    expect(w.outcome.get('t2')).to.equal('index write failed');
    expect(w.outcome.get('p1')).to.equal('pending');
    w.group(1).settle();
    await w.committer.idle();
    expect(w.outcome.get('p1')).to.equal('ok');
  });

  it('idle() waits for both lanes', async () => {
    const w = new ManualWrites();
    w.submit({ name: 'p1', put: true });
    w.submit({ name: 't1', take: true });
    await turn();
    let idle = false;
    const waiting = w.committer.idle().then(() => (idle = true));
    w.group(1).settle();
    await turn();
    expect(idle).to.equal(false);
    w.group(0).settle();
    await waiting;
    expect(idle).to.equal(true);
  });
});
