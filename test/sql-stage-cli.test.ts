import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { parse } from 'yaml';
import { SLUICE_BIN, TempDir } from './helpers/agent-process.js';

function sluice(...args: string[]) {
  return spawnSync(process.execPath, [SLUICE_BIN, ...args], { encoding: 'utf8' });
}

/** An agent whose sql stage is `stage` (YAML flow mapping entries after type/channel/channels). */
const topology = (stage: string, extra = ''): string => `
agents:
  a1:
    sources: { r1: { type: seq, channels: [raw] } }
    channels: { raw: { type: memory }, results: { type: memory } }
    sinks: { k1: { type: 'null', channel: results } }
    stages:
      stats:
        type: sql
        channel: raw
        channels: [results]
${stage.split('\n').map((l) => `        ${l}`).join('\n')}
${extra}`;

const GOOD = `schema: { host: varchar, bytes: integer, ts: integer }
window: { type: tumbling, size: 10s, time: event, field: ts, lateness: 2s }
query: SELECT host, COUNT(*) AS n, AVG(bytes) AS avg_bytes FROM events GROUP BY host`;

describe('sluice validate and sluice sql with a sql stage @slow', function () {
  this.timeout(60000);
  const dir = new TempDir();
  after(() => dir.cleanup());

  it('validate accepts a sql stage and counts it', () => {
    const result = sluice('validate', '-f', dir.write('ok.yaml', topology(GOOD)));
    expect(result.stderr).to.equal('');
    expect(result.status).to.equal(0);
    expect(result.stdout).to.contain("agent 'a1': 1 sources, 2 channels, 1 sinks, 1 stages");
  });

  it('validate reports an unknown column, a syntax error and a missing reference table, each with its stage path, before start', () => {
    const stage = (name: string, body: string): string => `      ${name}:\n        type: sql\n        channel: raw\n        channels: [results]\n${body.split('\n').map((l) => `        ${l}`).join('\n')}\n`;
    const file = dir.write('verify.yaml', `${topology(GOOD.replace('AVG(bytes)', 'AVG(byts)'))}${stage('syntax', GOOD.replace('GROUP BY host', 'GROUP host'))}${stage('owners', `${GOOD}\ntables: { owners: { file: ./no-such-owners.csv } }`)}`);
    const result = sluice('validate', '-f', file);
    expect(result.status).to.equal(1);
    expect(result.stderr).to.contain('3 problems');
    expect(result.stderr).to.match(/\/agents\/a1\/stages\/stats\/query: the query does not run over the declared schema: Binder Error: Referenced column "byts" not found/);
    expect(result.stderr).to.match(/\/agents\/a1\/stages\/syntax\/query: the query does not run over the declared schema: Parser Error: syntax error/);
    expect(result.stderr).to.contain('/agents/a1/stages/owners/tables/owners/file: cannot load reference table');
  });

  it('validate reports a bad schema and window mistakes, all at once, with their paths', () => {
    const result = sluice('validate', '-f', dir.write('schema.yaml', topology(`schema: { host: strng, bytes: integer, "bad name": varchar }
window: { type: hopping, size: 10s, time: event, field: stamp }
query: SELECT 1 FROM events`)));
    expect(result.status).to.equal(1);
    expect(result.stderr).to.contain('/agents/a1/stages/stats/schema/host');
    const fixed = sluice('validate', '-f', dir.write('window.yaml', topology(`schema: { host: varchar, bytes: integer, "bad name": varchar }
window: { type: hopping, size: 10s, time: event, field: stamp }
query: SELECT 1 FROM events`)));
    expect(fixed.status).to.equal(1);
    expect(fixed.stderr).to.contain('3 problems');
    expect(fixed.stderr).to.contain("/agents/a1/stages/stats/schema/bad name: column name 'bad name' is not a plain identifier");
    expect(fixed.stderr).to.contain('/agents/a1/stages/stats/window/hop: a hopping window needs a hop above 0');
    expect(fixed.stderr).to.contain("/agents/a1/stages/stats/window/field: no column 'stamp' in the schema");
  });

  it('sql discover infers the schema of log_to_json output, and the printed YAML validates and runs with sql run', async () => {
    const { LogToJsonInterceptor } = await import('@sluice/plugin-file' as string) as { LogToJsonInterceptor: new (config: unknown) => { intercept(events: { headers: Record<string, string>; body: Buffer }[]): { body: Buffer }[] } };
    const interceptor = new LogToJsonInterceptor({ logFormat: 'COMMONAPACHELOG', matchPattern: '', customFieldNames: [], onMismatch: 'pass' });
    const lines = Array.from({ length: 60 }, (_, i) => `10.0.0.${i % 3} - ${i % 4 === 0 ? '-' : 'bob'} [10/Oct/2000:13:55:${String(i % 60).padStart(2, '0')} -0700] "GET /p${i} HTTP/1.0" ${i % 5 === 0 ? 500 : 200} ${100 + i}`);
    const json = interceptor.intercept(lines.map((l) => ({ headers: {}, body: Buffer.from(l) })));
    const sample = dir.write('access.jsonl', `${json.map((e) => e.body.toString()).join('\n')}\n`);
    const discovered = sluice('sql', 'discover', sample);
    expect(discovered.status, discovered.stderr).to.equal(0);
    const schema = (parse(discovered.stdout) as { schema: Record<string, unknown> }).schema;
    expect(schema).to.deep.include({ host: { type: 'varchar', nullable: false }, response: { type: 'integer', nullable: false }, bytes: { type: 'integer', nullable: false }, authuser: 'varchar' });
    const stage = `schema: ${JSON.stringify(schema)}
window: { type: tumbling, size: 10s }
query: SELECT host, COUNT(*) AS requests, AVG(CASE WHEN response >= 500 THEN 1.0 ELSE 0.0 END) AS error_rate FROM events GROUP BY host ORDER BY host`;
    const file = dir.write('discovered.yaml', topology(stage));
    expect(sluice('validate', '-f', file).status).to.equal(0);
    const run = sluice('sql', 'run', '-f', file, '-n', 'a1', '--stage', 'stats', '--input', sample);
    expect(run.status, run.stderr).to.equal(0);
    const rows = run.stdout.trim().split('\n').map((l) => JSON.parse(l.slice(l.indexOf('{'))) as { host: string; requests: number; error_rate: number });
    // Processing time: the sample may straddle a window boundary, so add the windows up per host.
    const perHost = new Map<string, number>();
    for (const row of rows) perHost.set(row.host, (perHost.get(row.host) ?? 0) + row.requests);
    expect(Object.fromEntries(perHost)).to.deep.equal({ '10.0.0.0': 20, '10.0.0.1': 20, '10.0.0.2': 20 });
    expect(run.stderr).to.contain('60 records, 0 bad, 0 late');
  });

  it('sql discover reads CSV with a header, and sql run exits 1 naming the stages when the stage is unknown', () => {
    const csv = dir.write('sample.csv', 'host,bytes,ok\na,10,true\n"b,c",12.5,false\n');
    const result = sluice('sql', 'discover', csv);
    expect(result.status).to.equal(0);
    expect(parse(result.stdout)).to.deep.equal({ schema: { host: { type: 'varchar', nullable: false }, bytes: { type: 'double', nullable: false }, ok: { type: 'boolean', nullable: false } } });
    const run = sluice('sql', 'run', '-f', dir.write('ok2.yaml', topology(GOOD)), '--stage', 'nope', '--input', csv);
    expect(run.status).to.equal(1);
    expect(run.stderr).to.contain("has no sql stage 'nope' (stages: stats)");
  });
});
