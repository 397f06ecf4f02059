import { expect } from 'chai';
import { createEvent, errorCode, type Channel, type SluiceEvent, type Transaction } from '@sluice/core';

/** Optional behaviours a channel declares; cases that need one are skipped without it. */
export interface ChannelCapabilities {
  /** Committed events survive close and reopen. */
  durable?: boolean;
  /** The channel has an event capacity the suite can fill (needs `capacity` in the factory options). */
  bounded?: boolean;
}

/** What the suite asks the factory for. */
export interface ChannelFactoryOptions {
  /** Event capacity to configure (bounded channels only). */
  capacity?: number;
  /** Transaction capacity to configure. */
  transactionCapacity?: number;
  /** The same value for two calls means the same storage (durable channels reopen it). */
  storageId: string;
}

/** Arguments of {@link channelSuite}. */
export interface ChannelSuiteOptions {
  /** Creates a fresh, not yet started channel. Called once or more per test. */
  factory(options: ChannelFactoryOptions): Promise<Channel> | Channel;
  capabilities: ChannelCapabilities;
  /** Called after each test to remove storage; optional. */
  cleanup?(): Promise<void> | void;
  /** Test timeout in ms (default 10000). */
  timeout?: number;
}

let storageCounter = 0;
const body = (event: SluiceEvent): string => event.body.toString('utf8');
const events = (from: number, count: number): SluiceEvent[] =>
  Array.from({ length: count }, (_, i) => createEvent(`e${from + i}`, { seq: String(from + i) }));

async function putCommit(channel: Channel, batch: SluiceEvent[]): Promise<void> {
  const tx = channel.transaction();
  tx.put(batch);
  await tx.commit();
}

async function takeAll(channel: Channel, max = 100000): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const tx = channel.transaction();
    const batch = await tx.take(Math.min(max - out.length, 1000));
    await tx.commit();
    if (batch.length === 0 || out.length + batch.length >= max) {
      out.push(...batch.map(body));
      return out;
    }
    out.push(...batch.map(body));
  }
}

async function expectCode(promise: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    expect(errorCode(error), `error code of ${String(error)}`).to.equal(code);
    return;
  }
  expect.fail(`expected an error with code ${code}`);
}

/**
 * The conformance suite every channel runs: call it inside a mocha `describe`. Each case is also
 * exported by name so an implementation can run a subset while it is being built.
 */
export function channelSuite(options: ChannelSuiteOptions): void {
  const open: Channel[] = [];
  const make = async (extra: Partial<ChannelFactoryOptions> = {}): Promise<Channel> => {
    const channel = await options.factory({ storageId: `store-${process.pid}-${++storageCounter}`, ...extra });
    open.push(channel);
    await channel.start();
    return channel;
  };

  describe('channel conformance', function () {
    this.timeout(options.timeout ?? 10000);
    afterEach(async () => {
      for (const channel of open.splice(0)) await channel.stop().catch(() => undefined);
      await options.cleanup?.();
    });

    it('putTakeCommit: committed puts are taken in FIFO order', () => putTakeCommit(make));
    it('putIsInvisibleUntilCommit: takers do not see staged puts', () => putIsInvisibleUntilCommit(make));
    it('rollbackRestoresOrder: rolled-back takes return to the head in order', () => rollbackRestoresOrder(make));
    it('rollbackDiscardsPuts: rolled-back puts never appear', () => rollbackDiscardsPuts(make));
    it('txStateMachine: calls after commit or rollback fail with SLUICE_TX_STATE', () => txStateMachine(make));
    it('concurrentTransactions: interleaved transactions neither lose nor duplicate events', () => concurrentTransactions(make));
    it('closedChannel: transaction() on a stopped channel fails with SLUICE_CHANNEL_CLOSED', () => closedChannel(make));
    it('startStopIdempotent: start and stop may be called twice', () => startStopIdempotent(make));
    it('binaryBodiesAndHeaders: bodies and headers survive byte for byte', () => binaryBodiesAndHeaders(make));
    (options.capabilities.bounded ? it : it.skip)('capacityFull: commit fails with SLUICE_CHANNEL_FULL and changes nothing', () => capacityFull(make));
    (options.capabilities.bounded ? it : it.skip)('transactionCapacity: too many puts fail with SLUICE_TX_CAPACITY', () => transactionCapacity(make));
    (options.capabilities.durable ? it : it.skip)('reopenKeepsCommitted: close and reopen finds exactly the committed, untaken events in order', () =>
      reopenKeepsCommitted(make, async (channel) => {
        await channel.stop();
      }));
  });
}

type Make = (extra?: Partial<ChannelFactoryOptions>) => Promise<Channel>;

export async function putTakeCommit(make: Make): Promise<void> {
  const channel = await make();
  await putCommit(channel, events(0, 5));
  await putCommit(channel, events(5, 5));
  expect(await takeAll(channel)).to.deep.equal(events(0, 10).map(body));
  expect(await takeAll(channel)).to.deep.equal([]);
}

export async function putIsInvisibleUntilCommit(make: Make): Promise<void> {
  const channel = await make();
  const writer = channel.transaction();
  writer.put(events(0, 3));
  const reader = channel.transaction();
  expect(await reader.take(10)).to.have.length(0);
  await reader.commit();
  await writer.commit();
  expect(await takeAll(channel)).to.deep.equal(['e0', 'e1', 'e2']);
}

export async function rollbackRestoresOrder(make: Make): Promise<void> {
  const channel = await make();
  await putCommit(channel, events(0, 6));
  const tx = channel.transaction();
  expect((await tx.take(2)).map(body)).to.deep.equal(['e0', 'e1']);
  expect((await tx.take(2)).map(body)).to.deep.equal(['e2', 'e3']);
  await tx.rollback();
  expect(await takeAll(channel)).to.deep.equal(events(0, 6).map(body));
}

export async function rollbackDiscardsPuts(make: Make): Promise<void> {
  const channel = await make();
  const tx = channel.transaction();
  tx.put(events(0, 3));
  await tx.rollback();
  await putCommit(channel, events(3, 1));
  expect(await takeAll(channel)).to.deep.equal(['e3']);
}

export async function txStateMachine(make: Make): Promise<void> {
  const channel = await make();
  const committed = channel.transaction();
  committed.put(events(0, 1));
  await committed.commit();
  await expectCode(committed.commit(), 'SLUICE_TX_STATE');
  await expectCode(() => committed.put(events(1, 1)), 'SLUICE_TX_STATE');
  await expectCode(committed.take(1), 'SLUICE_TX_STATE');
  await expectCode(committed.rollback(), 'SLUICE_TX_STATE');
  const rolledBack: Transaction = channel.transaction();
  await rolledBack.rollback();
  await expectCode(rolledBack.commit(), 'SLUICE_TX_STATE');
  await expectCode(rolledBack.rollback(), 'SLUICE_TX_STATE');
  expect(await takeAll(channel)).to.deep.equal(['e0']);
}

export async function concurrentTransactions(make: Make): Promise<void> {
  const channel = await make();
  const writers = Array.from({ length: 4 }, (_, w) => (async () => {
    for (let b = 0; b < 10; b++) await putCommit(channel, events(w * 1000 + b * 10, 10));
  })());
  const seen: string[] = [];
  const readers = Array.from({ length: 2 }, () => (async () => {
    for (let round = 0; round < 200 && seen.length < 400; round++) {
      const tx = channel.transaction();
      const batch = await tx.take(7);
      if (round % 3 === 0 && batch.length > 0) {
        await tx.rollback();
      } else {
        await tx.commit();
        seen.push(...batch.map(body));
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
  })());
  await Promise.all([...writers, ...readers]);
  seen.push(...(await takeAll(channel)));
  const expected = Array.from({ length: 4 }, (_, w) => events(w * 1000, 100).map(body)).flat();
  expect([...seen].sort()).to.deep.equal([...expected].sort());
  for (let w = 0; w < 4; w++) {
    const fromWriter = seen.filter((b) => Math.floor(Number(b.slice(1)) / 1000) === w);
    expect(fromWriter.length).to.equal(100);
  }
}

export async function closedChannel(make: Make): Promise<void> {
  const channel = await make();
  await channel.stop();
  await expectCode(() => channel.transaction(), 'SLUICE_CHANNEL_CLOSED');
}

export async function startStopIdempotent(make: Make): Promise<void> {
  const channel = await make();
  await channel.start();
  await putCommit(channel, events(0, 1));
  await channel.stop();
  await channel.stop();
}

export async function binaryBodiesAndHeaders(make: Make): Promise<void> {
  const channel = await make();
  const binary = Buffer.from([0, 1, 2, 255, 254, 0x0a, 0x0d, 0]);
  const empty = Buffer.alloc(0);
  const large = Buffer.alloc(256 * 1024, 7);
  await putCommit(channel, [
    { headers: { 'unicode-é': 'välue ✓', empty: '' }, body: binary },
    { headers: {}, body: empty },
    { headers: { big: 'x' }, body: large },
  ]);
  const tx = channel.transaction();
  const got = await tx.take(10);
  await tx.commit();
  expect(got).to.have.length(3);
  expect(got[0]!.headers).to.deep.equal({ 'unicode-é': 'välue ✓', empty: '' });
  expect(Buffer.compare(got[0]!.body, binary)).to.equal(0);
  expect(got[1]!.body.length).to.equal(0);
  expect(Buffer.compare(got[2]!.body, large)).to.equal(0);
}

export async function capacityFull(make: Make): Promise<void> {
  const channel = await make({ capacity: 10, transactionCapacity: 10 });
  await putCommit(channel, events(0, 8));
  const tx = channel.transaction();
  tx.put(events(8, 3));
  await expectCode(tx.commit(), 'SLUICE_CHANNEL_FULL');
  await tx.rollback();
  await putCommit(channel, events(8, 2));
  expect(await takeAll(channel)).to.deep.equal(events(0, 10).map(body));
}

export async function transactionCapacity(make: Make): Promise<void> {
  const channel = await make({ capacity: 100, transactionCapacity: 5 });
  const tx = channel.transaction();
  await expectCode(() => tx.put(events(0, 6)), 'SLUICE_TX_CAPACITY');
  await tx.rollback();
}

export async function reopenKeepsCommitted(make: Make, close: (channel: Channel) => Promise<void>): Promise<void> {
  const storageId = `reopen-${process.pid}-${++storageCounter}`;
  const first = await make({ storageId });
  await putCommit(first, events(0, 10));
  const partial = first.transaction();
  await partial.take(3);
  await partial.commit();
  const pending = first.transaction();
  pending.put(events(100, 5));
  const inFlight = first.transaction();
  expect((await inFlight.take(2)).map(body)).to.deep.equal(['e3', 'e4']);
  await close(first);
  const second = await make({ storageId });
  expect(await takeAll(second)).to.deep.equal(events(3, 7).map(body));
}
