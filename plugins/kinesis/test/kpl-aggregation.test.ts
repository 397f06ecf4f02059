import { expect } from 'chai';
import { createRequire } from 'node:module';
import { deaggregate, isAggregated, RecordAggregator } from '../src/index.js';

/** awslabs' kinesis-aggregation library (aws-kinesis-agg): the reference implementation. */
const agg = createRequire(import.meta.url)('aws-kinesis-agg') as {
  RecordAggregator: new () => { addUserRecord(r: { partitionKey: string; explicitHashKey?: string; data: Buffer }): void; build(): { partitionKey: string; data: Buffer } };
  deaggregateSync(record: { data: string; partitionKey: string; sequenceNumber: string }, checksums: boolean, done: (err: Error | null, records?: { data: string; partitionKey: string; explicitPartitionKey?: string }[]) => void): void;
};

describe('KPL aggregation format', () => {
  const users = Array.from({ length: 50 }, (_, i) => ({ partitionKey: `key-${i % 6}`, data: Buffer.from(`payload-${i}-${'x'.repeat(i * 7)}`) }));

  it('reads what aws-kinesis-agg aggregates, byte for byte', () => {
    const theirs = new agg.RecordAggregator();
    for (const u of users) theirs.addUserRecord({ ...u });
    const built = theirs.build();
    expect(isAggregated(built.data)).to.equal(true);
    expect(deaggregate(built.data)).to.deep.equal(users);
  });

  it('writes what aws-kinesis-agg de-aggregates, with explicit hash keys, within the size it promised', () => {
    const ours = new RecordAggregator(1 << 20);
    const withHash = users.map((u, i) => (i % 2 ? { ...u, explicitHashKey: String(i * 1000) } : u));
    for (const u of withHash) {
      expect(ours.fits(u)).to.equal(true);
      ours.add(u);
    }
    const predicted = ours.sizeWith({ partitionKey: 'key-0', data: Buffer.alloc(0) });
    const data = ours.finish();
    expect(predicted - data.length, 'sizeWith is exact: one empty record more costs its few bytes').to.be.within(1, 8);
    let got: { data: string; partitionKey: string; explicitPartitionKey?: string }[] = [];
    agg.deaggregateSync({ data: data.toString('base64'), partitionKey: 'outer', sequenceNumber: '1' }, true, (err, records) => {
      if (err) throw err;
      got = records!;
    });
    expect(got.map((r) => [r.partitionKey, Buffer.from(r.data, 'base64').toString()])).to.deep.equal(withHash.map((u) => [u.partitionKey, u.data.toString()]));
    expect(deaggregate(data)).to.deep.equal(withHash);
  });

  it('refuses a record whose MD5 trailer does not match', () => {
    const ours = new RecordAggregator(1 << 20);
    ours.add(users[0]!);
    ours.add(users[1]!);
    const data = ours.finish();
    data[10] = data[10]! ^ 0xff;
    expect(() => deaggregate(data)).to.throw(RangeError, /digest/);
  });

  it('is not fooled by a plain record shorter than the magic and digest', () => {
    expect(isAggregated(Buffer.from([0xf3, 0x89, 0x9a, 0xc2, 1]))).to.equal(false);
  });
});
