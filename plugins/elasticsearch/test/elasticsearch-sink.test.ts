import { expect } from 'chai';
import {
  createComponentContext, createEvent, errorCode, isRetriable, memoryChannel, type MemoryChannel, type SinkContext, type SluiceEvent,
} from '@sluice/core';
import { BulkTestServer, createHarness, putAll, sinkSuite, takeAll, type SuiteHarness } from '@sluice/testkit';
import {
  elasticsearchSink, eventDocument, IndexNamer, type ElasticsearchSink, type ElasticsearchSinkConfig,
} from '../src/index.js';

const DEFAULTS: Omit<ElasticsearchSinkConfig, 'hostNames'> = {
  indexName: 'flume', indexNameBuilder: 'time_based', dateFormat: 'yyyy-MM-dd', timeZone: 'Etc/UTC', serializer: 'logstash', idHeader: '',
  batchSize: 100, username: '', password: '', apiKey: '', ca: '', connectTimeout: '1s', requestTimeout: '2s', itemRetries: 3, retryBackoff: '10ms',
};

const numbered = (from: number, n: number, headers: Record<string, string> = {}): SluiceEvent[] =>
  Array.from({ length: n }, (_, i) => createEvent(`event-${from + i}`, { seq: String(from + i), timestamp: '1700000000000', ...headers }));

/** The `seq` field of every stored document, sorted, as Flume's logstash format keeps headers under @fields. */
const storedSeqs = (server: BulkTestServer): number[] =>
  server.documents().map((d) => Number((d.source['@fields'] as Record<string, string>).seq)).sort((a, b) => a - b);

const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

describe('elasticsearch sink conformance (bulk test server)', () => {
  let server: BulkTestServer;
  sinkSuite({
    factory: async (ctx) => {
      server = await BulkTestServer.start();
      return elasticsearchSink.create({ ...DEFAULTS, hostNames: [server.url] }, ctx);
    },
    readBack: async () => server.documents().map((d) => String(d.source['@message'])),
    breakDestination: () => server.stop(),
    healDestination: () => server.restart(),
    capabilities: { failureInjection: true },
    cleanup: () => server.stop(),
  });
});

describe('elasticsearch documents as Flume writes them (vectors of Flume\'s serializer and index name tests)', () => {
  const headers = {
    timestamp: '1354560000123', source: 'flume_tail_src', host: 'test@localhost', src_path: '/tmp/test',
    headerNameOne: 'headerValueOne', headerNameTwo: 'headerValueTwo', type: 'sometype',
  };

  it('logstash: @message, @timestamp, @source, @type, @source_host, @source_path and every header under @fields', () => {
    const doc = eventDocument(createEvent('test body', headers), 'logstash');
    expect(JSON.parse(JSON.stringify(doc))).to.deep.equal({
      '@message': 'test body', '@timestamp': '2012-12-03T18:40:00.123Z', '@source': 'flume_tail_src', '@type': 'sometype',
      '@source_host': 'test@localhost', '@source_path': '/tmp/test', '@fields': headers,
    });
  });

  it('logstash: a body that looks like JSON but is not stays a string; a JSON object body is embedded', () => {
    expect(eventDocument(createEvent('{flume: somethingnotvalid}', headers), 'logstash')['@message']).to.equal('{flume: somethingnotvalid}');
    expect(eventDocument(createEvent('{"level":"warn","n":3}', {}), 'logstash')['@message']).to.deep.equal({ level: 'warn', n: 3 });
  });

  it('logstash: an explicit @timestamp or @source_host header wins over the derived field', () => {
    const doc = eventDocument(createEvent('x', { timestamp: '0', '@timestamp': 'given', host: 'h', '@source_host': 'given' }), 'logstash');
    expect(doc).to.not.have.property('@timestamp');
    expect(doc).to.not.have.property('@source_host');
  });

  it('dynamic: body and each header as top-level fields', () => {
    const doc = eventDocument(createEvent('test body', { headerNameOne: 'headerValueOne', headerNameTwo: 'headerValueTwo', headerNameThree: 'headerValueThree' }), 'dynamic');
    expect(JSON.parse(JSON.stringify(doc))).to.deep.equal({ body: 'test body', headerNameOne: 'headerValueOne', headerNameTwo: 'headerValueTwo', headerNameThree: 'headerValueThree' });
  });

  it('a timestamp header that is not epoch milliseconds rejects the event (not retriable)', () => {
    let error: unknown;
    try { eventDocument(createEvent('x', { timestamp: 'yesterday' }), 'logstash'); } catch (e) { error = e; }
    expect(errorCode(error)).to.equal('SLUICE_EVENT_REJECTED');
    expect(isRetriable(error)).to.equal(false);
  });

  it('time_based index names: prefix-yyyy-MM-dd in UTC from timestamp, else @timestamp, else now', () => {
    const namer = new IndexNamer('prefix', 'time_based', 'yyyy-MM-dd', 'Etc/UTC');
    expect(namer.name(createEvent('', { timestamp: '987654321' }))).to.equal('prefix-1970-01-12');
    expect(namer.name(createEvent('', { '@timestamp': '-999' }))).to.equal('prefix-1969-12-31');
    expect(namer.name(createEvent('', {}), Date.UTC(2024, 1, 29, 23, 0))).to.equal('prefix-2024-02-29');
    expect(new IndexNamer('logs-%{app}', 'simple', 'yyyy', 'Etc/UTC').name(createEvent('', { app: 'web' }))).to.equal('logs-web');
    expect(new IndexNamer('p', 'time_based', "yyyy.MM.dd'h'HH", 'Asia/Tokyo').name(createEvent('', { timestamp: String(Date.UTC(2024, 0, 31, 20)) }))).to.equal('p-2024.02.01h05');
  });
});

describe('elasticsearch sink outcomes', function () {
  this.timeout(20000);
  let server: BulkTestServer;
  let harness: SuiteHarness;
  let sink: ElasticsearchSink;
  let deadLetters: MemoryChannel | undefined;

  async function setUp(config: Partial<ElasticsearchSinkConfig> = {}, withDeadLetter = false): Promise<void> {
    server = await BulkTestServer.start();
    harness = await createHarness();
    let ctx: SinkContext = harness.sinkContext('to-es');
    deadLetters = undefined;
    if (withDeadLetter) {
      deadLetters = memoryChannel.create({ capacity: 1000, transactionCapacity: 1000, byteCapacity: '0', keepAlive: '0' }, createComponentContext({ name: 'dl', kind: 'CHANNEL' })) as MemoryChannel;
      await deadLetters.start();
      ctx = { ...ctx, deadLetter: { name: 'dl', channel: deadLetters, after: 1 } };
    }
    sink = elasticsearchSink.create({ ...DEFAULTS, hostNames: [server.url], ...config }, ctx) as ElasticsearchSink;
    await sink.start();
  }

  afterEach(async () => {
    await sink.stop();
    await harness.close();
    await deadLetters?.stop();
    await server.stop();
  });

  /** Calls process() until the channel is empty, tolerating the failures a test provokes. */
  async function drain(limit = 200): Promise<unknown[]> {
    const errors: unknown[] = [];
    for (let i = 0; i < limit && harness.channel.size > 0; i++) await sink.process().catch((e: unknown) => errors.push(e));
    expect(harness.channel.size, 'events left in the channel').to.equal(0);
    return errors;
  }

  it('writes one bulk request per batch into the daily index, in Flume\'s logstash format', async () => {
    await setUp({ batchSize: 50 });
    await putAll(harness, numbered(0, 120));
    await drain();
    expect(server.requests.map((r) => r.items)).to.deep.equal([50, 50, 20]);
    expect(server.indices()).to.deep.equal(['flume-2023-11-14']);
    expect(storedSeqs(server)).to.deep.equal(range(0, 120));
    expect(server.requests[0]!.headers['content-type']).to.equal('application/x-ndjson');
  });

  it('resends only the items refused with 429 or 503: every event is indexed once', async () => {
    await setUp();
    const refusals = new Map<string, number>();
    server.failItems(({ source }) => {
      const seq = ((source as Record<string, Record<string, string>>)['@fields'] ?? {}).seq ?? '';
      if (Number(seq) % 7 !== 0) return undefined;
      const n = refusals.get(seq) ?? 0;
      refusals.set(seq, n + 1);
      return n === 0 ? 429 : n === 1 ? 503 : undefined;
    });
    await putAll(harness, numbered(0, 300));
    const errors = await drain();
    expect(errors).to.deep.equal([]);
    expect(storedSeqs(server)).to.deep.equal(range(0, 300));
  });

  it('rolls back a batch whose items keep failing, then sends only the events not yet indexed', async () => {
    await setUp({ itemRetries: 1 });
    let failing = true;
    server.failItems(({ source }) => (failing && Number(((source as Record<string, Record<string, string>>)['@fields'] ?? {}).seq) >= 90 ? 503 : undefined));
    await putAll(harness, numbered(0, 100));
    let error: unknown;
    await sink.process().catch((e: unknown) => { error = e; });
    expect(errorCode(error)).to.equal('SLUICE_DELIVERY_FAILED');
    expect(isRetriable(error)).to.equal(true);
    expect(harness.channel.size).to.equal(100);
    expect(server.documents()).to.have.length(90);
    failing = false;
    await drain();
    expect(storedSeqs(server)).to.deep.equal(range(0, 100));
  });

  it('survives a server restart: refused connections roll back, every event is indexed once after it', async () => {
    await setUp({ batchSize: 10 });
    await putAll(harness, numbered(0, 50));
    await sink.process();
    await sink.process();
    await server.stop();
    let error: unknown;
    await sink.process().catch((e: unknown) => { error = e; });
    expect(errorCode(error)).to.equal('SLUICE_DELIVERY_FAILED');
    await server.restart();
    await drain();
    expect(storedSeqs(server)).to.deep.equal(range(0, 50));
  });

  it('with idHeader, a document sent again (an answer lost to a crash) is created once (409 counts as indexed)', async () => {
    await setUp({ idHeader: 'id' });
    const events = numbered(0, 30).map((e) => createEvent(e.body, { ...e.headers, id: `doc-${e.headers.seq}` }));
    await putAll(harness, events.slice(0, 20));
    await drain();
    // The same events again, as after a crash before the channel commit, plus new ones.
    await putAll(harness, events);
    await drain();
    expect(storedSeqs(server)).to.deep.equal(range(0, 30));
    expect(server.documents().every((d) => d.version === 1)).to.equal(true);
  });

  it('sends documents refused for their content (mapping conflict, bad index) to the dead-letter channel; the rest is indexed', async () => {
    await setUp({ indexName: 'app-%{app}', indexNameBuilder: 'simple' }, true);
    await putAll(harness, [
      createEvent('{"bytes": 10}', { seq: '0', app: 'web' }),
      createEvent('{"bytes": "ten"}', { seq: '1', app: 'web' }),
      createEvent('{"bytes": 12}', { seq: '2', app: 'Web' }),
      createEvent('{"bytes": 13}', { seq: '3', app: 'web', timestamp: 'not-a-number' }),
      createEvent('{"bytes": 14}', { seq: '4', app: 'web' }),
    ]);
    await drain();
    expect(server.documents('app-web').map((d) => (d.source['@fields'] as Record<string, string>).seq)).to.deep.equal(['0', '4']);
    const dead = await takeAll({ ...harness, channel: deadLetters! });
    expect(dead.map((e) => e.headers.seq)).to.deep.equal(['1', '2', '3']);
    expect(dead[0]!.headers['sluice.deadletter.reason']).to.contain('mapper_parsing_exception');
    expect(dead[1]!.headers['sluice.deadletter.reason']).to.contain('invalid_index_name_exception');
    expect(dead[2]!.headers['sluice.deadletter.reason']).to.contain('epoch milliseconds');
    expect((sink as unknown as { ctx: SinkContext }).ctx.metrics.get('EventDeadLetterCount')).to.equal(3);
  });

  it('without a dead-letter channel, refused documents are dropped and counted, and the sink moves on', async () => {
    await setUp({ indexNameBuilder: 'simple' });
    const ctxMetrics = (sink as unknown as { ctx: SinkContext }).ctx.metrics;
    await putAll(harness, [createEvent('{"n": 1}', { seq: '0' }), createEvent('{"n": {"deep": true}}', { seq: '1' }), createEvent('{"n": 2}', { seq: '2' })]);
    await drain();
    expect(storedSeqs(server)).to.deep.equal([0, 2]);
    expect(ctxMetrics.get('EventRejectedCount')).to.equal(1);
    expect(ctxMetrics.get('EventDrainSuccessCount')).to.equal(3);
  });

  it('fails over to the next host when one refuses connections', async () => {
    server = await BulkTestServer.start();
    const dead = await BulkTestServer.start();
    const deadUrl = dead.url;
    await dead.stop();
    harness = await createHarness();
    sink = elasticsearchSink.create({ ...DEFAULTS, hostNames: [deadUrl, server.url] }, harness.sinkContext()) as ElasticsearchSink;
    await sink.start();
    await putAll(harness, numbered(0, 30));
    await drain();
    expect(storedSeqs(server)).to.deep.equal(range(0, 30));
  });
});

describe('elasticsearch sink authentication', function () {
  this.timeout(20000);
  for (const [what, config] of [
    ['basic', { username: 'elastic', password: 'changeme' }],
    ['an API key', { apiKey: 'VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==' }],
  ] as const) {
    it(`authenticates with ${what}, and a wrong secret is a retriable failure that keeps the batch`, async () => {
      const server = await BulkTestServer.start({ basic: { username: 'elastic', password: 'changeme' }, apiKey: 'VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==' });
      const harness = await createHarness();
      const wrong = elasticsearchSink.create({ ...DEFAULTS, hostNames: [server.url], username: 'elastic', password: 'not-the-password-42' }, harness.sinkContext('wrong'));
      const right = elasticsearchSink.create({ ...DEFAULTS, hostNames: [server.url], ...config }, harness.sinkContext('right'));
      try {
        await wrong.start();
        await right.start();
        await putAll(harness, numbered(0, 5));
        let error: unknown;
        await wrong.process().catch((e: unknown) => { error = e; });
        expect(errorCode(error)).to.equal('SLUICE_DELIVERY_FAILED');
        expect(String((error as Error).message)).to.contain('401').and.not.contain('not-the-password-42');
        expect(harness.channel.size).to.equal(5);
        await right.process();
        expect(storedSeqs(server)).to.deep.equal(range(0, 5));
      } finally {
        await wrong.stop();
        await right.stop();
        await harness.close();
        await server.stop();
      }
    });
  }
});

describe('elasticsearch sink config', () => {
  const check = (config: Partial<ElasticsearchSinkConfig>) => elasticsearchSink.check!({ ...DEFAULTS, hostNames: ['http://127.0.0.1:9200'], ...config }).map((p) => p.path);

  it('reports bad hosts, index templates, date formats, time zones and half-given credentials', () => {
    expect(check({})).to.deep.equal([]);
    expect(check({ hostNames: ['es01:9200', 'http://ok:9200'] })).to.deep.equal(['/hostNames/0']);
    expect(check({ indexName: 'logs-%Q' })).to.deep.equal(['/indexName']);
    expect(check({ dateFormat: 'yyyy/MM/dd' })).to.deep.equal(['/dateFormat']);
    expect(check({ timeZone: 'Mars/Olympus' })).to.deep.equal(['/timeZone']);
    expect(check({ username: 'elastic' })).to.deep.equal(['/password']);
    expect(check({ username: 'a', password: 'b', apiKey: 'k' })).to.deep.equal(['/apiKey']);
  });

  it('maps Flume\'s keys: hostNames on the transport port become REST URLs, serializer and builder class names', () => {
    const config = elasticsearchSink.fromFlume!({
      hostNames: '127.0.0.1:9300,es2, https://es3:9243', indexName: 'foo_index', indexType: 'bar_type', clusterName: 'foobar_cluster',
      batchSize: '500', ttl: '5d', serializer: 'org.apache.flume.sink.elasticsearch.ElasticSearchDynamicSerializer',
      indexNameBuilder: 'org.apache.flume.sink.elasticsearch.SimpleIndexNameBuilder',
    });
    expect(config).to.deep.equal({
      hostNames: ['http://127.0.0.1:9200', 'http://es2:9200', 'https://es3:9243'], indexName: 'foo_index', batchSize: '500', serializer: 'dynamic', indexNameBuilder: 'simple',
    });
    expect(elasticsearchSink.fromFlume!({ hostNames: 'es:9201', client: 'rest' }).hostNames).to.deep.equal(['http://es:9201']);
  });
});
