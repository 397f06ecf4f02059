import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { SluiceEvent } from '@sluice/core';
import { createHarness, eventually, takeAll, type SuiteHarness } from '@sluice/testkit';
import { KinesisSource, type KinesisSourceConfig } from '../src/index.js';
import { startKinesisPeer, type KinesisPeer } from './kinesis-peer.js';
import { startDynamoPeer, type DynamoPeer } from './lease-peer.js';

describe('kinesis source with a DynamoDB lease table @slow', function () {
  this.timeout(60000);
  let kinesis: KinesisPeer;
  let dynamo: DynamoPeer;
  let dataDir = '';
  const open: { source: KinesisSource; harness: SuiteHarness }[] = [];
  before(async () => {
    kinesis = await startKinesisPeer();
    dynamo = await startDynamoPeer(kinesis.region, kinesis.accessKeyId, kinesis.secretAccessKey);
  });
  after(async () => {
    await dynamo.close();
    await kinesis.close();
  });
  beforeEach(() => { dataDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-kinesis-lease-')); });
  afterEach(async () => {
    for (const { source, harness } of open.splice(0)) {
      await source.stop();
      await harness.close();
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  function config(streamName: string, leaseTable: string, workerId: string, overrides: Partial<KinesisSourceConfig> = {}): KinesisSourceConfig {
    return {
      streamName, initialPosition: 'TRIM_HORIZON', initialTimestamp: '', batchSize: 100, pollInterval: '50ms', shardSyncInterval: '200ms', checkpointDir: '',
      leaseTable, leaseTableEndpoint: dynamo.endpoint, leaseDuration: '1s', workerId, maxBackoff: '200ms',
      region: kinesis.region, endpoint: kinesis.endpoint, profile: '', accessKeyId: kinesis.accessKeyId, secretAccessKey: kinesis.secretAccessKey, sessionToken: '',
      maxAttempts: 1, requestTimeout: '5s',
      ...overrides,
    };
  }

  /** Starts a source; with `arrivals`, each delivered body is appended there once its channel committed it. */
  async function worker(streamName: string, table: string, id: string, arrivals?: string[]): Promise<{ source: KinesisSource; harness: SuiteHarness }> {
    const harness = await createHarness();
    const base = harness.sourceContext(id);
    const deliver = arrivals ? async (events: SluiceEvent[]) => { await base.deliver(events); arrivals.push(...bodies(events)); } : base.deliver;
    const source = new KinesisSource(config(streamName, table, id), { ...base, deliver, dataDir: path.join(dataDir, id) });
    await source.start();
    const entry = { source, harness };
    open.push(entry);
    return entry;
  }

  const bodies = (events: SluiceEvent[]): string[] => events.map((e) => e.body.toString());
  const owners = async (table: string): Promise<Map<string, number>> => {
    const counts = new Map<string, number>();
    for (const lease of await dynamo.leases(table)) if (lease.owner) counts.set(lease.owner, (counts.get(lease.owner) ?? 0) + 1);
    return counts;
  };

  it('two agents split four shards two and two, and together deliver every record once', async () => {
    const stream = await kinesis.createStream(4);
    const table = `sluice-leases-${randomUUID().slice(0, 8)}`;
    const a = await worker(stream, table, 'agent-a');
    const b = await worker(stream, table, 'agent-b');
    await eventually(async () => {
      const counts = await owners(table);
      return counts.get('agent-a') === 2 && counts.get('agent-b') === 2;
    }, 'two leases each', 15000);
    await kinesis.put(stream, Array.from({ length: 400 }, (_, i) => ({ data: `r-${i}`, key: `k${i}` })));
    const got: string[] = [];
    const perAgent = { a: 0, b: 0 };
    await eventually(async () => {
      const fromA = bodies(await takeAll(a.harness));
      const fromB = bodies(await takeAll(b.harness));
      perAgent.a += fromA.length;
      perAgent.b += fromB.length;
      got.push(...fromA, ...fromB);
      return got.length >= 400;
    }, 'all 400 records');
    expect(got.slice().sort()).to.deep.equal(Array.from({ length: 400 }, (_, i) => `r-${i}`).sort());
    expect(perAgent.a, 'agent a read its shards').to.be.greaterThan(0);
    expect(perAgent.b, 'agent b read its shards').to.be.greaterThan(0);
  });

  it('takes over the lease of a dead worker after leaseDuration and resumes at its checkpoint', async () => {
    const stream = await kinesis.createStream(1);
    const table = `sluice-leases-${randomUUID().slice(0, 8)}`;
    const first = await worker(stream, table, 'agent-first');
    await kinesis.put(stream, Array.from({ length: 50 }, (_, i) => ({ data: `before-${i}`, key: 'k' })));
    await eventually(async () => (await dynamo.leases(table))[0]?.checkpoint !== undefined, 'a checkpoint in the table');
    const lease = (await dynamo.leases(table))[0]!;
    // The first agent dies: its lease stays with its checkpoint and is never renewed (the stopped
    // agent released it, so it is handed to a ghost owner at the same checkpoint).
    await first.source.stop();
    open.splice(open.indexOf(first), 1);
    await first.harness.close();
    await dynamo.plantDeadLease(table, lease.shardId, 'ghost');
    await dynamo.client.send(new (await import('@aws-sdk/client-dynamodb')).UpdateItemCommand({
      TableName: table, Key: { leaseKey: { S: lease.shardId } }, UpdateExpression: 'SET #cp = :cp', ExpressionAttributeNames: { '#cp': 'checkpoint' }, ExpressionAttributeValues: { ':cp': { S: lease.checkpoint! } },
    }));
    await kinesis.put(stream, Array.from({ length: 30 }, (_, i) => ({ data: `after-${i}`, key: 'k' })));
    const started = Date.now();
    const second = await worker(stream, table, 'agent-second');
    const got: string[] = [];
    await eventually(async () => {
      got.push(...bodies(await takeAll(second.harness)));
      return got.length >= 30;
    }, 'the 30 records put after the checkpoint', 15000);
    expect(Date.now() - started, 'waited for the dead lease to expire').to.be.at.least(900);
    expect(got.filter((b) => b.startsWith('after-'))).to.deep.equal(Array.from({ length: 30 }, (_, i) => `after-${i}`));
    expect((await dynamo.leases(table))[0]!.owner).to.equal('agent-second');
  });

  it('two agents read a 4-shard stream split and merged meanwhile: every record, each key in order', async () => {
    const stream = await kinesis.createStream(4);
    const table = `sluice-leases-${randomUUID().slice(0, 8)}`;
    const arrivals: string[] = [];
    const a = await worker(stream, table, 'agent-a', arrivals);
    const b = await worker(stream, table, 'agent-b', arrivals);
    const keys = 12;
    const produced = new Array<number>(keys).fill(0);
    let total = 0;
    const produce = async (rounds: number): Promise<void> => {
      for (let r = 0; r < rounds; r++) {
        const batch = Array.from({ length: 36 }, (_, i) => {
          const key = (r * 36 + i) % keys;
          return { data: `k${key}:${produced[key]!++}`, key: `key-${key}` };
        });
        total += batch.length;
        await kinesis.put(stream, batch);
      }
    };
    const got: string[] = [];
    const drain = async (): Promise<void> => {
      for (const w of [a, b]) got.push(...bodies(await takeAll(w.harness)));
    };
    await produce(4);
    await kinesis.split(stream, 'shardId-000000000000');
    await drain();
    await produce(4);
    await kinesis.split(stream, 'shardId-000000000003');
    await drain();
    await produce(4);
    // Splitting shard 0 made 4 (its lower half) and 5 (its upper half, next to shard 1).
    await kinesis.merge(stream, 'shardId-000000000005', 'shardId-000000000001');
    await produce(4);
    await eventually(async () => {
      await drain();
      return new Set(got).size >= total;
    }, `all ${total} records through the two agents`, 30000);
    expect(new Set(got).size).to.equal(total);
    // Commit order across both agents: a key's records from a parent shard before its children's.
    for (let k = 0; k < keys; k++) {
      const seen = new Set<string>();
      const order = arrivals.filter((g) => g.startsWith(`k${k}:`) && !seen.has(g) && seen.add(g)).map((g) => Number(g.split(':')[1]));
      expect(order, `first deliveries of key-${k} in order`).to.deep.equal([...order].sort((x, y) => x - y));
    }
    const leases = await dynamo.leases(table);
    expect(leases.length, 'a lease per shard read').to.be.greaterThan(4);
  });

  it('a graceful stop releases the leases at once, and the other agent takes them', async () => {
    const stream = await kinesis.createStream(2);
    const table = `sluice-leases-${randomUUID().slice(0, 8)}`;
    const a = await worker(stream, table, 'agent-a');
    const b = await worker(stream, table, 'agent-b');
    await eventually(async () => (await owners(table)).size === 2, 'one lease each', 15000);
    await a.source.stop();
    await eventually(async () => (await owners(table)).get('agent-b') === 2, 'agent b holds both leases', 5000);
    await kinesis.put(stream, Array.from({ length: 40 }, (_, i) => ({ data: `late-${i}`, key: `k${i}` })));
    const got: string[] = [];
    await eventually(async () => {
      got.push(...bodies(await takeAll(b.harness)));
      return got.length >= 40;
    }, 'the 40 records through agent b');
  });
});
