import { expect } from 'chai';
import { parseTopology, validateComponentConfig } from '@sluice/config';
import { createComponentContext, errorCode, type AnyComponentDefinition, type Problem } from '@sluice/core';
import { createHarness } from '@sluice/testkit';
import { logToJsonInterceptor, spooldirSource, taildirSource } from '../src/index.js';

/** The config with the schema's defaults, as the agent passes it to check() and create(). */
function configOf(definition: AnyComponentDefinition, config: Record<string, unknown>): any {
  const problems: Problem[] = [];
  const full = validateComponentConfig(definition, config, '', problems, false);
  expect(problems, 'the test config passes the schema').to.deep.equal([]);
  return full;
}

/** check() finds one problem at `path`; create() refuses the config with its message after `who`. */
function expectSameMistake(problems: Problem[], path: string, create: () => unknown, who: string): void {
  expect(problems.map((p) => p.path)).to.deep.equal([path]);
  let thrown: Error | undefined;
  try {
    create();
  } catch (error) {
    thrown = error as Error;
  }
  expect(errorCode(thrown), 'create() throws').to.equal('SLUICE_CONFIG_INVALID');
  expect(thrown!.message).to.equal(`${who}: ${problems[0]!.message}`);
}

describe('check() of the file plugin components', () => {
  it('taildir: refuses a doubly escaped multilineStartPattern as single-quoted YAML gives it, accepts the single escape', () => {
    // `yamlValue` is the value as written in a topology file, quotes included; the real YAML parser reads it.
    const fromYaml = (yamlValue: string): string => (parseTopology(`agents:\n  a1:\n    sources:\n      t: { type: taildir, multilineStartPattern: ${yamlValue} }\n`).data as any).agents.a1.sources.t.multilineStartPattern;
    const doubled = configOf(taildirSource, { filegroups: { a: '/tmp/x.log' }, multilineStartPattern: fromYaml(String.raw`'^\\d{4}-'`) });
    expect(doubled.multilineStartPattern).to.equal(String.raw`^\\d{4}-`);
    const problems = taildirSource.check!(doubled);
    expect(problems.map((p) => p.path)).to.deep.equal(['/multilineStartPattern']);
    expect(problems[0]!.message).to.contain('escaped twice');
    // One backslash in single quotes, two in double quotes, and an escaped backslash before \d are all fine.
    for (const good of [String.raw`'^\d{4}-'`, String.raw`"^\\d{4}-"`, String.raw`'^\\\d{4}-'`]) {
      expect(taildirSource.check!(configOf(taildirSource, { filegroups: { a: '/tmp/x.log' }, multilineStartPattern: fromYaml(good) })), good).to.deep.equal([]);
    }
  });

  it('log_to_json: reports a matchPattern that is not a regex, and one without customFieldNames', () => {
    const ctx = createComponentContext({ name: 'i1', kind: 'INTERCEPTOR' });
    const bad = configOf(logToJsonInterceptor, { logFormat: 'SYSLOG', matchPattern: '^(\\w+=', customFieldNames: ['key'] });
    expectSameMistake(logToJsonInterceptor.check!(bad), '/matchPattern', () => logToJsonInterceptor.create(bad, ctx), "interceptor 'i1'");
    const unnamed = configOf(logToJsonInterceptor, { logFormat: 'SYSLOG', matchPattern: '^(\\w+)=(\\d+)$' });
    const problems = logToJsonInterceptor.check!(unnamed);
    expectSameMistake(problems, '/customFieldNames', () => logToJsonInterceptor.create(unnamed, ctx), "interceptor 'i1'");
    expect(problems[0]!.message).to.equal('matchPattern needs customFieldNames, one per capture group; list a JSON key for each group');
    expect(logToJsonInterceptor.check!(configOf(logToJsonInterceptor, { logFormat: 'SYSLOG', matchPattern: '^(\\w+)=(\\d+)$', customFieldNames: ['key', 'value'] }))).to.deep.equal([]);
    expect(logToJsonInterceptor.check!(configOf(logToJsonInterceptor, { logFormat: 'COMBINEDAPACHELOG' }))).to.deep.equal([]);
  });

  it('spooldir: reports a bad includePattern or ignorePattern, as the constructor does', async () => {
    const harness = await createHarness();
    const include = configOf(spooldirSource, { spoolDir: '/var/spool/app', includePattern: '*.log' });
    expectSameMistake(spooldirSource.check!(include), '/includePattern', () => spooldirSource.create(include, harness.sourceContext('r1')), "spooldir source 'r1'");
    const ignore = configOf(spooldirSource, { spoolDir: '/var/spool/app', ignorePattern: '^(tmp' });
    expectSameMistake(spooldirSource.check!(ignore), '/ignorePattern', () => spooldirSource.create(ignore, harness.sourceContext('r1')), "spooldir source 'r1'");
    expect(spooldirSource.check!(configOf(spooldirSource, { spoolDir: '/var/spool/app', includePattern: '^.*\\.log$', ignorePattern: '^tmp' }))).to.deep.equal([]);
  });

  it('taildir: reports a bad multilineStartPattern, as the constructor does', async () => {
    const harness = await createHarness();
    const bad = configOf(taildirSource, { filegroups: { app: '/var/log/app/*.log' }, multilineStartPattern: '^(\\d{4}-' });
    expectSameMistake(taildirSource.check!(bad), '/multilineStartPattern', () => taildirSource.create(bad, harness.sourceContext('r1')), "taildir source 'r1'");
    expect(taildirSource.check!(configOf(taildirSource, { filegroups: { app: '/var/log/app/*.log' }, multilineStartPattern: '^\\d{4}-' }))).to.deep.equal([]);
  });
});
