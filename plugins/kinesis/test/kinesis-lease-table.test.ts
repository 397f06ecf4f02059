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

  async function worker(streamName: string, table: string, id: string): Promise<{ source: KinesisSource; harness: SuiteHarness }> {
    const harness = await createHarness();
    const source = new KinesisSource(config(streamName, table, id), { ...harness.sourceContext(id), dataDir: path.join(dataDir, id) });
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
