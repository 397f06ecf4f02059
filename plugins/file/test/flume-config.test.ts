import { expect } from 'chai';
import { parseTopology } from '@sluice/config';
import { loadTopology } from '@sluice/agent';

describe('file sources in Flume .properties topologies', () => {
  it('loads a Flume TAILDIR source: filegroups (regex file names as globs), headers.<group>.<key>, millisecond durations', async () => {
    const raw = parseTopology([
      'a1.sources = r1',
      'a1.channels = c1',
      'a1.sources.r1.type = TAILDIR',
      'a1.sources.r1.channels = c1',
      'a1.sources.r1.positionFile = /var/log/flume/taildir_position.json',
      'a1.sources.r1.filegroups = f1 f2',
      'a1.sources.r1.filegroups.f1 = /var/log/test1/example.log',
      'a1.sources.r1.headers.f1.headerKey1 = value1',
      'a1.sources.r1.filegroups.f2 = /var/log/test2/.*log.*',
      'a1.sources.r1.headers.f2.headerKey1 = value2',
      'a1.sources.r1.headers.f2.headerKey2 = value2-2',
      'a1.sources.r1.fileHeader = true',
      'a1.sources.r1.idleTimeout = 5000',
      'a1.sources.r1.maxBatchCount = 1000',
      'a1.sources.r1.byteOffsetHeader = true',
      'a1.channels.c1.type = memory',
    ].join('\n'), 'flume.properties');
    const { model } = await loadTopology(raw, { agent: 'a1' });
    const config = model.agents.a1!.sources.r1!.config as Record<string, unknown>;
    // The file name part is a regex in Flume: its `.` becomes `?` (which still matches example.log).
    expect(config.filegroups).to.deep.equal({ f1: '/var/log/test1/example?log', f2: '/var/log/test2/*log*' });
    expect(config.headers).to.deep.equal({ f1: { headerKey1: 'value1' }, f2: { headerKey1: 'value2', headerKey2: 'value2-2' } });
    expect(config).to.include({ fileHeader: true, byteOffsetHeader: true, idleTimeout: '5000ms', positionFile: '/var/log/flume/taildir_position.json', batchSize: 100 });
  });

  it('loads a Flume spooldir source with its keys', async () => {
    const raw = parseTopology([
      'agent-1.sources = src-1',
      'agent-1.channels = ch-1',
      'agent-1.sources.src-1.type = spooldir',
      'agent-1.sources.src-1.channels = ch-1',
      'agent-1.sources.src-1.spoolDir = /var/log/apache/flumeSpool',
      'agent-1.sources.src-1.fileHeader = true',
      'agent-1.sources.src-1.deletePolicy = immediate',
      'agent-1.sources.src-1.ignorePattern = ^.*\\\\.tmp$',
      'agent-1.sources.src-1.pollDelay = 250',
      'agent-1.sources.src-1.deserializer.maxLineLength = 4096',
      'agent-1.channels.ch-1.type = memory',
    ].join('\n'), 'flume.properties');
    const { model } = await loadTopology(raw, { agent: 'agent-1' });
    const config = model.agents['agent-1']!.sources['src-1']!.config as Record<string, unknown>;
    expect(config).to.include({
      spoolDir: '/var/log/apache/flumeSpool', fileHeader: true, deletePolicy: 'immediate', ignorePattern: '^.*\\.tmp$',
      pollDelay: '250ms', maxLineLength: 4096, fileSuffix: '.COMPLETED', consumeOrder: 'oldest',
    });
  });

  it('reports every invalid taildir option with its path (SLUICE_CONFIG_INVALID)', async () => {
    const raw = parseTopology(`
agents:
  a:
    sources:
      t: { type: taildir, filegroups: {}, lineOverflow: wrap, idleTimeout: soon, channels: [c] }
    channels:
      c: { type: memory }
`);
    const error = await loadTopology(raw, { agent: 'a' }).then(() => undefined, (e: unknown) => e) as { code?: string; problems?: { path: string }[] };
    expect(error.code).to.equal('SLUICE_CONFIG_INVALID');
    const paths = error.problems!.map((p) => p.path);
    expect(paths).to.include.members(['/agents/a/sources/t/filegroups', '/agents/a/sources/t/lineOverflow', '/agents/a/sources/t/idleTimeout']);
  });

  it('rejects an invalid multilineStartPattern or includePattern with SLUICE_CONFIG_INVALID when created', async () => {
    const { taildirSource, spooldirSource } = await import('../src/index.js');
    const { createComponentContext } = await import('@sluice/core');
    const ctx = { ...createComponentContext({ name: 'bad', kind: 'SOURCE' }), deliver: async () => undefined };
    const taildirConfig = { filegroups: { a: '/tmp/x' }, headers: {}, positionFile: '', skipToEnd: false, fileHeader: false, fileHeaderKey: 'file', byteOffsetHeader: false, batchSize: 1, maxLineLength: 10, lineOverflow: 'split' as const, multilineStartPattern: '(', multilineTimeout: '1s', idleTimeout: '1s', pollInterval: '1s', writePosInterval: '0', readBufferSize: 4096 };
    expect(() => taildirSource.create(taildirConfig, ctx)).to.throw().with.property('code', 'SLUICE_CONFIG_INVALID');
    const spoolConfig = { spoolDir: '/tmp', fileSuffix: '.COMPLETED', deletePolicy: 'never' as const, trackingPolicy: 'rename' as const, trackerDir: '.t', includePattern: '[', ignorePattern: '^$', consumeOrder: 'oldest' as const, recursiveDirectorySearch: false, fileHeader: false, fileHeaderKey: 'file', basenameHeader: false, basenameHeaderKey: 'basename', batchSize: 1, maxLineLength: 10, lineOverflow: 'split' as const, pollDelay: '1s', readBufferSize: 4096 };
    expect(() => spooldirSource.create(spoolConfig, ctx)).to.throw().with.property('code', 'SLUICE_CONFIG_INVALID');
  });
});
