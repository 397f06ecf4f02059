import { expect } from 'chai';
import { besideTests, problemsOf } from './helpers.js';

describe('loadTopology with the check() of interceptors, processors and sources', () => {
  it('reports mistakes of an interceptor, a failover processor, an avro source, log_to_json and a kafka source at once', async () => {
    const problems = await problemsOf(`
agents:
  a1:
    sources:
      r1:
        type: seq
        channels: [c1]
        interceptors:
          - { type: regex_filter, regex: "ERROR (" }
          - { type: regex_extractor, regex: "^(\\\\S+)", serializers: [{ name: when, type: millis, pattern: "yyyy-MM-dd hh:mm" }] }
          - { type: log_to_json, logFormat: SYSLOG, matchPattern: "^(\\\\w+)=(\\\\d+)$" }
      r2: { type: avro, channels: [c1], port: 4141, ipFilter: true, ipFilterRules: "permit:ip:*" }
      r3: { type: kafka, channels: [c1], topicPattern: "logs-(web" }
    channels: { c1: { type: memory } }
    sinks:
      k1: { type: "null", channel: c1 }
      k2: { type: "null", channel: c1 }
    sinkGroups:
      g1: { sinks: [k1, k2], processor: { type: failover, priority: { k1: 10, k3: 5 } } }
`, 'topology.yaml');
    expect(problems.map((p) => p.path)).to.have.members([
      '/agents/a1/sources/r1/interceptors/0/regex',
      '/agents/a1/sources/r1/interceptors/1/serializers/0/pattern',
      '/agents/a1/sources/r1/interceptors/2/customFieldNames',
      '/agents/a1/sources/r2/ipFilterRules',
      '/agents/a1/sources/r3/topicPattern',
      '/agents/a1/sinkGroups/g1/processor/priority/k3',
    ]);
    const at = (path: string) => problems.find((p) => p.path === path)!.message;
    expect(at('/agents/a1/sinkGroups/g1/processor/priority/k3')).to.equal("priority names sink 'k3', which is not in the group (k1, k2); name one of the group's sinks or remove the entry");
    expect(at('/agents/a1/sources/r2/ipFilterRules')).to.contain("ipFilterRules entry 'permit:ip:*' should look like");
    expect(at('/agents/a1/sources/r1/interceptors/1/serializers/0/pattern')).to.contain("uses 'h', which is not supported");
  });

  it('accepts the same components with valid patterns, rules and priorities', async () => {
    const problems = await problemsOf(`
agents:
  a1:
    sources:
      r1:
        type: seq
        channels: [c1]
        interceptors:
          - { type: regex_filter, regex: "ERROR" }
          - { type: search_replace, searchPattern: "(\\\\d+)", replaceString: "#" }
      r2: { type: avro, channels: [c1], port: 4142, ipFilter: true, ipFilterRules: "allow:ip:127.*,deny:ip:*" }
    channels: { c1: { type: memory } }
    sinks:
      k1: { type: "null", channel: c1 }
      k2: { type: "null", channel: c1 }
    sinkGroups:
      g1: { sinks: [k1, k2], processor: { type: failover, priority: { k1: 10, k2: 5 } } }
`, 'topology.yaml');
    expect(problems).to.deep.equal([]);
  });

  it('names the Flume .properties keys of the mistakes', async () => {
    const problems = await problemsOf([
      'a1.sources = r1 r2', 'a1.channels = c1', 'a1.sinks = k1 k2', 'a1.sinkgroups = g1',
      'a1.sources.r1.type = seq', 'a1.sources.r1.channels = c1',
      'a1.sources.r1.interceptors = i1 i2',
      'a1.sources.r1.interceptors.i1.type = regex_filter', 'a1.sources.r1.interceptors.i1.regex = ERROR (',
      'a1.sources.r1.interceptors.i2.type = search_replace', 'a1.sources.r1.interceptors.i2.searchPattern = [0-9',
      'a1.sources.r2.type = avro', 'a1.sources.r2.channels = c1', 'a1.sources.r2.port = 4143',
      'a1.sources.r2.ipFilter = true', 'a1.sources.r2.ipFilterRules = allow:10.*',
      'a1.channels.c1.type = memory',
      'a1.sinks.k1.type = null', 'a1.sinks.k1.channel = c1', 'a1.sinks.k2.type = null', 'a1.sinks.k2.channel = c1',
      'a1.sinkgroups.g1.sinks = k1 k2', 'a1.sinkgroups.g1.processor.type = failover',
      'a1.sinkgroups.g1.processor.priority.k1 = 10', 'a1.sinkgroups.g1.processor.priority.k9 = 5',
    ].join('\n'), 'flume.properties');
    expect(problems.map((p) => `${p.path} (${p.key})`)).to.have.members([
      '/agents/a1/sources/r1/interceptors/0/regex (a1.sources.r1.interceptors.i1.regex)',
      '/agents/a1/sources/r1/interceptors/1/searchPattern (a1.sources.r1.interceptors.i2.searchPattern)',
      '/agents/a1/sources/r2/ipFilterRules (a1.sources.r2.ipFilterRules)',
      '/agents/a1/sinkGroups/g1/processor/priority/k9 (a1.sinkgroups.g1.processor.priority.k9)',
    ]);
  });
});

describe('loadTopology with the TLS settings of the http and syslog_tcp sources', () => {
  it('reports TLS without a certificate or key, client certificates without a CA, and client certificates with TLS off, all at once', async () => {
    const problems = await problemsOf(`
agents:
  a1:
    sources:
      web: { type: http, port: 8080, channels: [c1], tls: { enabled: true, key: server.key } }
      logs: { type: syslog_tcp, port: 6514, channels: [c1], tls: { enabled: true, cert: s.pem, key: s.key, requireClientCert: true } }
      plain: { type: syslog_tcp, port: 5140, channels: [c1], tls: { requireClientCert: true, ca: ca.pem } }
    channels: { c1: { type: memory } }
    sinks: { k1: { type: "null", channel: c1 } }
`, 'topology.yaml');
    expect(problems.map((p) => [p.path, p.message])).to.have.deep.members([
      ['/agents/a1/sources/web/tls/cert', 'tls.cert is required when tls.enabled is true; set it to a PEM file'],
      ['/agents/a1/sources/logs/tls/ca', 'tls.requireClientCert needs tls.ca, the CA that signs client certificates'],
      ['/agents/a1/sources/plain/tls/requireClientCert', 'tls.requireClientCert is true but tls.enabled is false, so no client certificate would be checked; set tls.enabled: true (with cert, key and ca)'],
    ]);
  });

  it('accepts TLS with its files named (they are read at start, not by validate) and TLS left off', async () => {
    const problems = await problemsOf(`
agents:
  a1:
    sources:
      web: { type: http, port: 8081, channels: [c1], tls: { enabled: true, cert: missing.pem, key: missing.key, requireClientCert: true, ca: ca.pem } }
      logs: { type: syslog_tcp, port: 6515, channels: [c1] }
    channels: { c1: { type: memory } }
    sinks: { k1: { type: "null", channel: c1 } }
`, 'topology.yaml');
    expect(problems).to.deep.equal([]);
  });
});
