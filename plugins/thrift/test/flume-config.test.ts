import { expect } from 'chai';
import { loadTopology } from '@sluice/agent';
import { parseTopology } from '@sluice/config';

describe('thrift source and sink in Flume .properties topologies', () => {
  it('loads the Flume User Guide\'s thrift source and sink examples, and Flume\'s optional keys', async () => {
    // FlumeUserGuide.rst "Thrift Source" and "Thrift Sink" examples (apache/flume, flume-ng-doc/sphinx),
    // plus the documented optional keys with Flume's units.
    const raw = parseTopology([
      'a1.sources = r1',
      'a1.channels = c1',
      'a1.sinks = k1',
      'a1.sources.r1.type = thrift',
      'a1.sources.r1.channels = c1',
      'a1.sources.r1.bind = 0.0.0.0',
      'a1.sources.r1.port = 4141',
      'a1.sources.r1.threads = 16',
      'a1.sources.r1.protocol = binary',
      'a1.channels.c1.type = memory',
      'a1.channels.c1.transactionCapacity = 1000',
      'a1.sinks.k1.type = thrift',
      'a1.sinks.k1.channel = c1',
      'a1.sinks.k1.hostname = 10.10.10.10',
      'a1.sinks.k1.port = 4545',
      'a1.sinks.k1.batch-size = 500',
      'a1.sinks.k1.connect-timeout = 3000',
      'a1.sinks.k1.request-timeout = 4000',
      'a1.sinks.k1.connection-reset-interval = 600',
    ].join('\n'), 'flume.properties');
    const { model } = await loadTopology(raw, { agent: 'a1' });
    expect(model.agents.a1!.sources.r1!.config).to.deep.include({ bind: '0.0.0.0', port: 4141, protocol: 'binary', ssl: false, kerberos: false });
    expect(model.agents.a1!.sinks.k1!.config).to.deep.include({
      hostname: '10.10.10.10', port: 4545, protocol: 'compact', batchSize: 500, connectTimeout: '3000ms', requestTimeout: '4000ms', resetConnectionInterval: '600s',
    });
  });

  it('refuses kerberos = true with a message that says it is not supported', async () => {
    const raw = parseTopology([
      'a1.sources = r1',
      'a1.channels = c1',
      'a1.sources.r1.type = thrift',
      'a1.sources.r1.channels = c1',
      'a1.sources.r1.bind = 0.0.0.0',
      'a1.sources.r1.port = 4141',
      'a1.sources.r1.kerberos = true',
      'a1.sources.r1.agent-principal = flume/_HOST@EXAMPLE.COM',
      'a1.sources.r1.agent-keytab = /etc/flume.keytab',
      'a1.channels.c1.type = memory',
    ].join('\n'), 'flume.properties');
    const error = await loadTopology(raw, { agent: 'a1' }).then(() => undefined, (e: unknown) => e as { code: string; message: string });
    expect(error?.code).to.equal('SLUICE_CONFIG_INVALID');
    expect(error?.message).to.match(/kerberos is not supported/);
  });
});
