import { expect } from 'chai';
import { parseTopology } from '@sluice/config';
import { loadTopology } from '../src/index.js';

const FLUME = `
a1.sources = r1
a1.channels = c1 c2 c3
a1.sinks = k1 k2 k3
a1.sinkgroups = g1 g2
a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = 0
a1.sources.r1.channels = c1 c2 c3
a1.sources.r1.interceptors = ts host st rm uid filt ext sr
a1.sources.r1.interceptors.ts.type = timestamp
a1.sources.r1.interceptors.ts.preserveExisting = true
a1.sources.r1.interceptors.host.type = org.apache.flume.interceptor.HostInterceptor$Builder
a1.sources.r1.interceptors.host.hostHeader = hostname
a1.sources.r1.interceptors.host.useIP = false
a1.sources.r1.interceptors.st.type = static
a1.sources.r1.interceptors.st.key = datacenter
a1.sources.r1.interceptors.st.value = NEW_YORK
a1.sources.r1.interceptors.rm.type = remove_header
a1.sources.r1.interceptors.rm.fromList = a,b
a1.sources.r1.interceptors.uid.type = org.apache.flume.sink.solr.morphline.UUIDInterceptor$Builder
a1.sources.r1.interceptors.uid.headerName = eventId
a1.sources.r1.interceptors.filt.type = regex_filter
a1.sources.r1.interceptors.filt.regex = ^DEBUG
a1.sources.r1.interceptors.filt.excludeEvents = true
a1.sources.r1.interceptors.ext.type = regex_extractor
a1.sources.r1.interceptors.ext.regex = (\\\\d):(\\\\d)
a1.sources.r1.interceptors.ext.serializers = s1 s2
a1.sources.r1.interceptors.ext.serializers.s1.name = one
a1.sources.r1.interceptors.ext.serializers.s2.name = two
a1.sources.r1.interceptors.sr.type = search_replace
a1.sources.r1.interceptors.sr.searchPattern = secret
a1.sources.r1.interceptors.sr.replaceString = ***
a1.sources.r1.selector.type = multiplexing
a1.sources.r1.selector.header = tier
a1.sources.r1.selector.mapping.gold = c1 c2
a1.sources.r1.selector.optional.gold = c3
a1.sources.r1.selector.default = c3
a1.channels.c1.type = memory
a1.channels.c2.type = memory
a1.channels.c3.type = memory
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
a1.sinks.k2.type = null
a1.sinks.k2.channel = c2
a1.sinks.k3.type = null
a1.sinks.k3.channel = c3
a1.sinkgroups.g1.sinks = k1 k2
a1.sinkgroups.g1.processor.type = failover
a1.sinkgroups.g1.processor.priority.k1 = 10
a1.sinkgroups.g1.processor.priority.k2 = 5
a1.sinkgroups.g1.processor.maxpenalty = 10000
a1.sinkgroups.g2.sinks = k3
a1.sinkgroups.g2.processor.type = load_balance
a1.sinkgroups.g2.processor.backoff = true
a1.sinkgroups.g2.processor.selector = random
a1.sinkgroups.g2.processor.selector.maxTimeOut = 5000
`;

describe('Flume .properties routing keys', () => {
  it('load interceptors, a multiplexing selector and failover/load_balance processors with Flume\'s key names', async () => {
    const { model } = await loadTopology(parseTopology(FLUME, 'flume.properties'), { agent: 'a1' });
    const a1 = model.agents.a1!;
    const source = a1.sources.r1!;
    expect(source.interceptors.map((i) => [i.type, i.config])).to.deep.equal([
      ['timestamp', { headerName: 'timestamp', preserveExisting: true }],
      ['host', { hostHeader: 'hostname', useIP: false, preserveExisting: false }],
      ['static', { key: 'datacenter', value: 'NEW_YORK', preserveExisting: true }],
      ['remove_header', { withName: '', fromList: 'a,b', fromListSeparator: '\\s*,\\s*', matching: '' }],
      ['uuid', { headerName: 'eventId', preserveExisting: true, prefix: '' }],
      ['regex_filter', { regex: '^DEBUG', excludeEvents: true }],
      ['regex_extractor', { regex: '(\\d):(\\d)', serializers: [{ name: 'one' }, { name: 'two' }] }],
      ['search_replace', { searchPattern: 'secret', replaceString: '***', charset: 'utf8' }],
    ]);
    expect(source.selector).to.deep.include({ type: 'multiplexing', config: { header: 'tier', mapping: { gold: ['c1', 'c2'] }, optional: { gold: ['c3'] }, default: ['c3'] } });
    expect(a1.sinkGroups.g1!.processor).to.deep.include({ type: 'failover', config: { priority: { k1: 10, k2: 5 }, maxPenalty: '10000ms' } });
    expect(a1.sinkGroups.g2!.processor).to.deep.include({ type: 'load_balance', config: { backoff: true, selector: 'random', maxTimeOut: '5000ms' } });
  });
});
