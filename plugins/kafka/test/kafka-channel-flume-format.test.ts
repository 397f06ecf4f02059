import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import avro from 'avsc';
import { expect } from 'chai';
import { Telemetry, createComponentContext, errorCode, type Channel, type SluiceEvent, type TelemetryEvent } from '@sluice/core';
import { kafkaChannel, type KafkaChannel, type KafkaChannelConfig } from '../src/index.js';
import { kcatConsume, kcatProduce, kcatProduceFile, kcatValueAt } from './helpers/kcat.js';
import { configOf, FAST_GROUP, startKafkaTestCluster, uniqueName, type KafkaTestCluster } from './helpers/test-cluster.js';
import { requirePeers } from '@sluice/testkit';

/** flume.avdl's AvroFlumeEvent, written out here so the check does not share code with the plugin. */
const FLUME_EVENT_SCHEMA_TEXT = `{
  "type": "record", "name": "AvroFlumeEvent", "namespace": "org.apache.flume.source.avro",
  "fields": [
    { "name": "headers", "type": { "type": "map", "values": "string" } },
    { "name": "body", "type": "bytes" }
  ]
}`;

/** Avro's zigzag varint of a small non-negative long. */
function varint(n: number): Buffer {
  const bytes: number[] = [];
  let z = n * 2;
  while (z > 0x7f) {
    bytes.push((z & 0x7f) | 0x80);
    z = Math.floor(z / 128);
  }
  bytes.push(z);
  return Buffer.from(bytes);
}
const avroString = (s: string): Buffer => Buffer.concat([varint(Buffer.byteLength(s)), Buffer.from(s, 'utf8')]);

describe('kafka channel record format @slow', function () {
  before(function () { requirePeers(this, 'kafka', 'kcat'); });
  this.timeout(30000);
  let cluster: KafkaTestCluster;
  let dir: string;
  const open: Channel[] = [];
  before(async () => {
    cluster = await startKafkaTestCluster();
    dir = await mkdtemp(join(tmpdir(), 'sluice-kafka-format-'));
  });
  afterEach(async () => {
    for (const channel of open.splice(0)) await channel.stop();
  });
  after(async () => {
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function startChannel(config: Record<string, unknown>, telemetry = new Telemetry()): Promise<{ channel: KafkaChannel; topic: string }> {
    const topic = uniqueName('format');
    await cluster.createTopic(topic, 1);
    const channel = kafkaChannel.create(configOf<KafkaChannelConfig>(kafkaChannel, {
      brokers: [...cluster.brokers], topic, groupId: uniqueName('group'), ...FAST_GROUP, idempotent: cluster.mock === undefined, ...config,
    }), createComponentContext({ name: 'format-channel', kind: 'CHANNEL', telemetry })) as KafkaChannel;
    open.push(channel);
    await channel.start();
    return { channel, topic };
  }

  async function put(channel: Channel, events: SluiceEvent[]): Promise<void> {
    const tx = channel.transaction();
    tx.put(events);
    await tx.commit();
  }

  async function takeOne(channel: Channel): Promise<SluiceEvent[]> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const tx = channel.transaction();
      const events = await tx.take(10);
      await tx.commit();
      if (events.length > 0) return events;
    }
    return [];
  }

  it('stores a put as an Avro binary AvroFlumeEvent that an independent decoder reads', async () => {
    const { channel, topic } = await startChannel({});
    const body = Buffer.from([0, 1, 2, 0xff, 0x0a, 0x7f]);
    await put(channel, [{ headers: { host: 'web-1', 'unicode-é': 'välue ✓', empty: '' }, body }]);
    const value = await kcatValueAt(cluster.bootstrap, topic, 0);
    const decoded = avro.Type.forSchema(JSON.parse(FLUME_EVENT_SCHEMA_TEXT) as avro.Schema).fromBuffer(value) as { headers: Record<string, string>; body: Buffer };
    expect(decoded.headers).to.deep.equal({ host: 'web-1', 'unicode-é': 'välue ✓', empty: '' });
    expect(Buffer.compare(decoded.body, body)).to.equal(0);
  });

  it('takes a hand-built Flume-format record produced by kcat', async () => {
    const { channel, topic } = await startChannel({});
    const body = Buffer.from([0xde, 0xad, 0x00, 0xbe, 0xef]);
    const record = Buffer.concat([
      varint(2), avroString('host'), avroString('flume-agent'), avroString('seq'), avroString('1'), varint(0),
      varint(body.length), body,
    ]);
    const file = join(dir, 'flume-record.bin');
    await writeFile(file, record);
    await kcatProduceFile(cluster.bootstrap, topic, file);
    const [event] = await takeOne(channel);
    expect(event!.headers).to.deep.equal({ host: 'flume-agent', seq: '1' });
    expect(Buffer.compare(event!.body, body)).to.equal(0);
  });

  it('skips a record that is not an AvroFlumeEvent, counts it, reports component.error, and takes the next one', async () => {
    const telemetry = new Telemetry();
    const errors: TelemetryEvent[] = [];
    const subscription = telemetry.events$.subscribe((event) => {
      if (event.type === 'component.error') errors.push(event);
    });
    const { channel, topic } = await startChannel({}, telemetry);
    await kcatProduce(cluster.bootstrap, topic, ['\u0001not avro']);
    await put(channel, [{ headers: { ok: 'yes' }, body: Buffer.from('valid') }]);
    const [event] = await takeOne(channel);
    expect(event!.body.toString()).to.equal('valid');
    expect(channel.metrics.get('EventTakeErrorCount')).to.equal(1);
    subscription.unsubscribe();
    expect(errors.map((e) => [e.component, e.count])).to.deep.equal([['format-channel', 1]]);
  });

  it('a put commit fails with SLUICE_EVENT_REJECTED when Kafka refuses the records and SLUICE_CHANNEL_UNAVAILABLE when it cannot store them', async function () {
    if (!cluster.mock) this.skip(); // injects broker errors through the mock's API
    const { channel } = await startChannel({ retry: { retries: 1, initialDelay: '50ms', maxDelay: '200ms' } });
    const PRODUCE = 0;
    const commitError = async (): Promise<unknown> => {
      const tx = channel.transaction();
      tx.put([{ headers: {}, body: Buffer.from('x') }]);
      const error = await tx.commit().then(() => undefined, (failure: unknown) => failure);
      await tx.rollback();
      return error;
    };
    await cluster.mock.pushRequestErrors(PRODUCE, 1, 10); // MESSAGE_TOO_LARGE
    expect(errorCode(await commitError())).to.equal('SLUICE_EVENT_REJECTED');
    await cluster.mock.pushRequestErrors(PRODUCE, 2, 19); // NOT_ENOUGH_REPLICAS, once per attempt
    expect(errorCode(await commitError())).to.equal('SLUICE_CHANNEL_UNAVAILABLE');
    await put(channel, [{ headers: {}, body: Buffer.from('accepted') }]);
    expect((await takeOne(channel)).map((e) => e.body.toString())).to.deep.equal(['accepted']);
  });

  it('with parseAsFlumeEvent false stores the raw body with headers as Kafka record headers, both ways', async () => {
    const { channel, topic } = await startChannel({ parseAsFlumeEvent: false });
    await put(channel, [{ headers: { host: 'web-2' }, body: Buffer.from('raw from sluice') }]);
    const records = await kcatConsume(cluster.bootstrap, topic);
    expect(records.map((r) => [r.payload, r.headers])).to.deep.equal([['raw from sluice', { host: 'web-2' }]]);
    await kcatProduce(cluster.bootstrap, topic, ['raw from kcat'], { headers: { origin: 'kcat' } });
    const taken: SluiceEvent[] = [];
    while (taken.length < 2) taken.push(...(await takeOne(channel)));
    expect(taken.map((e) => [e.body.toString(), e.headers])).to.deep.equal([['raw from sluice', { host: 'web-2' }], ['raw from kcat', { origin: 'kcat' }]]);
  });
});
