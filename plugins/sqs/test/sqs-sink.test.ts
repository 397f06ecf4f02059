import { expect } from 'chai';
import { sinkSuite, createHarness, putAll, type SuiteHarness } from '@sluice/testkit';
import { createComponentContext, createEvent, errorCode, isHeaderMap, MemoryChannel, memoryChannel, type SinkContext, type SluiceEvent } from '@sluice/core';
import type { Message } from '@aws-sdk/client-sqs';
import { decodeMessage, sqsSink, type SqsSink, type SqsSinkConfig } from '../src/index.js';
import { configOf } from './config-of.js';
import { SqsProxy } from './helpers/sqs-proxy.js';
import { startSqsPeer, type SqsPeer } from './sqs-peer.js';

const drainQueue = (peer: SqsPeer, queueUrl: string): Promise<Message[]> => peer.drain(queueUrl);

describe('sqs sink', function () {
  this.timeout(30000);
  let peer: SqsPeer;
  let proxy: SqsProxy | undefined;
  before(async () => {
    peer = await startSqsPeer();
    if (peer.local) proxy = await SqsProxy.start(peer.endpoint);
  });
  after(async () => {
    await proxy?.close();
    await peer?.close();
  });

  describe('conformance', () => {
    let queueUrl = '';
    let n = 0;
    sinkSuite({
      capabilities: { failureInjection: !process.env.SQS_ENDPOINT },
      async factory(ctx) {
        queueUrl = await peer.createQueue(`sink-${n++}`);
        // Through the proxy, so the suite can break the destination; one SDK attempt so a break fails fast.
        return sqsSink.create(configOf<SqsSinkConfig>(sqsSink, { ...peer.aws(), endpoint: proxy?.url ?? peer.endpoint, queueUrl, maxAttempts: 1, batchSize: 50 }), ctx);
      },
      async readBack() {
        return (await drainQueue(peer, queueUrl)).map((m) => decodeMessage(m).body);
      },
      async breakDestination() {
        proxy!.breakNow();
      },
      async healDestination() {
        if (proxy) proxy.down = false;
      },
    });
  });

  describe('messages', () => {
    let harness: SuiteHarness;
    let sink: SqsSink | undefined;
    let deadLetters: MemoryChannel | undefined;
    let metrics: () => Record<string, number> = () => ({});
    afterEach(async () => {
      if (proxy) proxy.down = false;
      await sink?.stop();
      await deadLetters?.stop();
      await harness?.close();
      sink = undefined;
      deadLetters = undefined;
    });

    async function startSink(values: Partial<SqsSinkConfig>, options: { deadLetter?: boolean } = {}): Promise<SqsSink> {
      harness = await createHarness();
      let ctx: SinkContext = harness.sinkContext('out');
      if (options.deadLetter) {
        deadLetters = memoryChannel.create({ capacity: 1000, transactionCapacity: 1000, byteCapacity: '0', keepAlive: '0' }, createComponentContext({ name: 'dlq', kind: 'CHANNEL' })) as MemoryChannel;
        await deadLetters.start();
        ctx = { ...ctx, deadLetter: { name: 'dlq', channel: deadLetters, after: 1 } };
      }
      sink = sqsSink.create(configOf<SqsSinkConfig>(sqsSink, { ...peer.aws(), ...values }), ctx) as SqsSink;
      const group = ctx.metrics;
      metrics = () => group.snapshot() as Record<string, number>;
      await sink.start();
      return sink;
    }

    it('sends headers as attributes up to the limit and the rest as sluice.headers JSON; a source-side decode gives the event back', async () => {
      const queueUrl = await peer.createQueue('headers');
      await startSink({ queueUrl });
      const many: Record<string, string> = {};
      for (let i = 0; i < 12; i++) many[`h${i}`] = `v${i}`;
      const events: SluiceEvent[] = [
        createEvent('few', { host: 'web-1', level: 'info' }),
        { headers: many, body: Buffer.from('many') },
        { headers: { 'bad name': 'x', empty: '', 'AWS.reserved': 'y' }, body: Buffer.from([0, 255, 1]) },
      ];
      await putAll(harness, events);
      expect(await sink!.process()).to.equal('ready');
      const got = await drainQueue(peer, queueUrl);
      const byBody = new Map(got.map((m) => [decodeMessage(m).body.toString('latin1'), m]));
      const few = byBody.get('few')!;
      expect(Object.keys(few.MessageAttributes!).sort()).to.deep.equal(['host', 'level']);
      const manyMessage = byBody.get('many')!;
      expect(Object.keys(manyMessage.MessageAttributes!)).to.have.length(10);
      expect(manyMessage.MessageAttributes!['sluice.headers']!.StringValue).to.be.a('string');
      expect(decodeMessage(manyMessage).headers).to.deep.equal(many);
      const binary = got.find((m) => m.MessageAttributes?.['sluice.body']?.StringValue === 'base64')!;
      expect(binary.Body).to.equal(Buffer.from([0, 255, 1]).toString('base64'));
      expect(decodeMessage(binary)).to.deep.equal(events[2]);
    });

    it('random bodies and headers (binary, empty, U+FFFE, control characters, names SQS refuses, more than 10) come back byte for byte', async () => {
      const queueUrl = await peer.createQueue('fuzz');
      await startSink({ queueUrl, batchSize: 200 });
      let seed = 7;
      const random = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
      const pieces = ['a', 'é', '✓', '\uFFFE', '\uFFFF', '\u0000', '\r\n', ' ', '.', 'AWS.', '\uD83D\uDE00', '"', '\\', '{', 'x'.repeat(50)];
      const text = (len: number): string => Array.from({ length: len }, () => pieces[random(pieces.length)]).join('');
      const events: SluiceEvent[] = Array.from({ length: 200 }, (_, i) => {
        const headers: Record<string, string> = { id: String(i) };
        for (let h = random(14); h > 0; h--) headers[text(1 + random(3))] = text(random(4));
        const body = random(3) === 0 ? Buffer.from(Array.from({ length: random(64) }, () => random(256))) : Buffer.from(text(random(20)), 'utf8');
        return { headers, body };
      });
      await putAll(harness, events);
      expect(await sink!.process()).to.equal('ready');
      expect(harness.channel.size).to.equal(0);
      const got = new Map((await drainQueue(peer, queueUrl)).map((m) => decodeMessage(m)).map((e) => [e.headers.id!, e]));
      expect(got.size).to.equal(200);
      for (const event of events) expect(got.get(event.headers.id!), `event ${event.headers.id}`).to.deep.equal(event);
    });

    it('moves an event larger than the queue\'s MaximumMessageSize to the dead-letter channel with the reason, and sends the rest', async () => {
      const queueUrl = await peer.createQueue('oversize');
      const s = await startSink({ queueUrl }, { deadLetter: true });
      const limit = (s as unknown as { queue: { messageLimit: number } }).queue.messageLimit;
      await putAll(harness, [createEvent('before'), { headers: { id: 'big' }, body: Buffer.alloc(limit + 1, 0x61) }, createEvent('after')]);
      expect(await s.process()).to.equal('ready');
      expect(harness.channel.size).to.equal(0);
      const got = await drainQueue(peer, queueUrl);
      expect(got.map((m) => m.Body).sort()).to.deep.equal(['after', 'before']);
      const dl = deadLetters!.transaction();
      const dead = await dl.take(10);
      await dl.commit();
      expect(dead).to.have.length(1);
      expect(dead[0]!.headers).to.include({ id: 'big', 'sluice.deadletter.sink': 'out', 'sluice.deadletter.code': 'SLUICE_EVENT_REJECTED' });
      expect(dead[0]!.headers['sluice.deadletter.reason']).to.contain(`MaximumMessageSize of ${limit} bytes`);
      expect(metrics().EventDeadLetterCount).to.equal(1);
    });

    it('without a dead-letter channel, drops and counts an oversized event and sends the rest of its batch', async () => {
      const queueUrl = await peer.createQueue('oversize-no-dl');
      const s = await startSink({ queueUrl });
      const limit = (s as unknown as { queue: { messageLimit: number } }).queue.messageLimit;
      await putAll(harness, [createEvent('ok'), { headers: {}, body: Buffer.alloc(limit + 1, 0x61) }]);
      await s.process();
      expect(harness.channel.size).to.equal(0);
      expect((s as unknown as { ctx: SinkContext }).ctx.metrics.get('EventRejectedCount')).to.equal(1);
      expect(await peer.depth(queueUrl)).to.deep.equal({ visible: 1, inFlight: 0 });
    });

    it('sends entries that failed alone again and commits once all are stored, without duplicates', async function () {
      if (!proxy) this.skip();
      const queueUrl = await peer.createQueue('partial');
      const s = await startSink({ queueUrl, endpoint: proxy!.url, batchSize: 30 });
      await putAll(harness, Array.from({ length: 30 }, (_, i) => createEvent(`p${i}`)));
      proxy!.failEntries('SendMessageBatch', 3);
      expect(await s.process()).to.equal('ready');
      const got = (await drainQueue(peer, queueUrl)).map((m) => m.Body!).sort();
      expect(got).to.deep.equal(Array.from({ length: 30 }, (_, i) => `p${i}`).sort());
      expect(metrics().SqsEntryRetryCount).to.equal(3);
    });

    it('FIFO: group and deduplication ids come from header templates, and a re-sent batch is not stored twice', async () => {
      const queueUrl = await peer.createQueue('fifo-sink', { fifo: true });
      const s = await startSink({ queueUrl, messageGroupId: '%{tenant}', messageDeduplicationId: '%{id}' });
      const events = [createEvent('a1', { tenant: 'a', id: '1' }), createEvent('b1', { tenant: 'b', id: '2' }), createEvent('a2', { tenant: 'a', id: '3' })];
      await putAll(harness, events);
      await s.process();
      await putAll(harness, events);
      await s.process();
      const got = await drainQueue(peer, queueUrl);
      expect(got.map((m) => `${m.Attributes!.MessageGroupId}:${m.Body}`).sort()).to.deep.equal(['a:a1', 'a:a2', 'b:b1']);
      expect(got.find((m) => m.Body === 'a2')!.Attributes!.MessageDeduplicationId).to.equal('3');
    });

    it('fails to start with SLUICE_COMPONENT_START when the queue does not exist', async () => {
      const queueUrl = `${await peer.createQueue('exists')}-not`;
      let failure: unknown;
      try { await startSink({ queueUrl }); } catch (error) { failure = error; }
      expect(errorCode(failure)).to.equal('SLUICE_COMPONENT_START');
      expect(String((failure as Error).message)).to.contain(queueUrl);
      sink = undefined;
    });

    it('check() refuses delaySeconds on a FIFO queue and a queueUrl that is not a URL', () => {
      const problems = sqsSink.check!(configOf<SqsSinkConfig>(sqsSink, { queueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/q.fifo', delaySeconds: 5 }));
      expect(problems.map((p) => p.path)).to.deep.equal(['/delaySeconds']);
      expect(sqsSink.check!(configOf<SqsSinkConfig>(sqsSink, { queueUrl: 'q' })).map((p) => p.path)).to.deep.equal(['/queueUrl']);
    });

    it('delays messages by delaySeconds on a standard queue', async () => {
      const queueUrl = await peer.createQueue('delay');
      const s = await startSink({ queueUrl, delaySeconds: 2 });
      await putAll(harness, [createEvent('later')]);
      await s.process();
      expect(await peer.receive(queueUrl, 10, 60)).to.have.length(0);
      await new Promise((resolve) => setTimeout(resolve, 2200));
      expect((await drainQueue(peer, queueUrl)).map((m) => m.Body)).to.deep.equal(['later']);
    });
  });
});

describe('sqs message decoding', () => {
  it('keeps headers named __proto__ (an attribute, or a key of sluice.headers) as ordinary headers', () => {
    const event = decodeMessage({
      Body: 'b',
      MessageAttributes: {
        ['__proto__']: { DataType: 'String', StringValue: 'from an attribute' },
        'sluice.headers': { DataType: 'String', StringValue: '{"constructor":"c","a":"b"}' },
      },
    } as unknown as Message);
    expect(isHeaderMap(event.headers)).to.equal(true);
    expect(Object.keys(event.headers)).to.deep.equal(['__proto__', 'constructor', 'a']);
    expect(event.headers['__proto__']).to.equal('from an attribute');
    expect(event.headers[String('constructor')]).to.equal('c');
  });
});
