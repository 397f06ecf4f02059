import { expect } from 'chai';
import {
  createComponentContext, errorCode, failoverSinkProcessor, FailoverSinkProcessor, regexExtractorInterceptor, regexFilterInterceptor,
  removeHeaderInterceptor, searchReplaceInterceptor, type AnyComponentDefinition, type NamedSink, type Problem,
} from '../src/index.js';

/** What `create` throws for this config (undefined when it does not). */
function thrownBy(create: () => unknown): Error | undefined {
  try {
    create();
  } catch (error) {
    return error as Error;
  }
  return undefined;
}

/** Builds an interceptor as the agent would, named i1. */
const createInterceptor = (definition: AnyComponentDefinition, config: Record<string, unknown>) => () =>
  definition.create(config, createComponentContext({ name: 'i1', kind: 'INTERCEPTOR' }));

/**
 * Asserts that check() reports exactly one problem at `path` and that create() refuses the same
 * config with SLUICE_CONFIG_INVALID and the same message after the component's name.
 */
function expectSameMistake(problems: Problem[], path: string, create: () => unknown, who: string): void {
  expect(problems.map((p) => p.path)).to.deep.equal([path]);
  const thrown = thrownBy(create);
  expect(errorCode(thrown), 'create() throws').to.equal('SLUICE_CONFIG_INVALID');
  expect(thrown!.message).to.equal(`${who}: ${problems[0]!.message}`);
}

describe('check() of the core interceptors and the failover processor', () => {
  it('regex_filter: reports a regex JavaScript refuses at /regex, as create() does', () => {
    const config = { regex: 'ERROR (', excludeEvents: false };
    const problems = regexFilterInterceptor.check!(config);
    expectSameMistake(problems, '/regex', createInterceptor(regexFilterInterceptor, config), "interceptor 'i1'");
    expect(problems[0]!.message).to.match(/^regex 'ERROR \(' is not a valid regular expression \(.+\); fix the pattern/);
    expect(regexFilterInterceptor.check!({ regex: '^ERROR\\b', excludeEvents: true })).to.deep.equal([]);
  });

  it('search_replace: reports a bad searchPattern (compiled with the g flag) at /searchPattern', () => {
    const config = { searchPattern: 'a{2,1}', replaceString: '', charset: 'utf8' as const };
    expectSameMistake(searchReplaceInterceptor.check!(config), '/searchPattern', createInterceptor(searchReplaceInterceptor, config), "interceptor 'i1'");
    expect(searchReplaceInterceptor.check!({ ...config, searchPattern: '(\\d+)-(\\d+)' })).to.deep.equal([]);
  });

  it('remove_header: reports a bad fromListSeparator and matching pattern at their keys', () => {
    const base = { withName: '', fromList: '', fromListSeparator: '\\s*,\\s*', matching: '' };
    const separator = { ...base, fromList: 'a,b', fromListSeparator: '[,' };
    expectSameMistake(removeHeaderInterceptor.check!(separator), '/fromListSeparator', createInterceptor(removeHeaderInterceptor, separator), "interceptor 'i1'");
    const matching = { ...base, matching: 'x-(' };
    expectSameMistake(removeHeaderInterceptor.check!(matching), '/matching', createInterceptor(removeHeaderInterceptor, matching), "interceptor 'i1'");
    expect(removeHeaderInterceptor.check!({ ...base, fromList: 'a;b', fromListSeparator: ';', matching: 'x-.*' })).to.deep.equal([]);
  });

  it('regex_extractor: reports a bad regex, a millis serializer without a pattern and an unsupported date pattern', () => {
    const serializers = [{ name: 'when', type: 'millis' as const, pattern: 'yyyy-MM-dd HH:mm' }];
    const regex = { regex: '(\\d+', serializers };
    expectSameMistake(regexExtractorInterceptor.check!(regex), '/regex', createInterceptor(regexExtractorInterceptor, regex), "interceptor 'i1'");
    const missing = { regex: '(\\w+) (\\d+)', serializers: [{ name: 'who' }, { name: 'when', type: 'millis' as const }] };
    expectSameMistake(regexExtractorInterceptor.check!(missing), '/serializers/1/pattern', createInterceptor(regexExtractorInterceptor, missing), "interceptor 'i1'");
    const letter = { regex: '(.+)', serializers: [{ name: 'when', type: 'millis' as const, pattern: 'yyyy-MM-dd hh:mm' }] };
    const problems = regexExtractorInterceptor.check!(letter);
    expectSameMistake(problems, '/serializers/0/pattern', createInterceptor(regexExtractorInterceptor, letter), "interceptor 'i1'");
    expect(problems[0]!.message).to.equal("serializers[0]: date pattern 'yyyy-MM-dd hh:mm' uses 'h', which is not supported; use yyyy, yy, MM, dd, HH, mm, ss, SSS and quoted literals");
    const quote = { regex: '(.+)', serializers: [{ name: 'when', type: 'millis' as const, pattern: "yyyy'T" }] };
    expectSameMistake(regexExtractorInterceptor.check!(quote), '/serializers/0/pattern', createInterceptor(regexExtractorInterceptor, quote), "interceptor 'i1'");
    expect(regexExtractorInterceptor.check!({ regex: '^(\\w+) (.+)$', serializers: [{ name: 'who' }, { name: 'when', type: 'millis', pattern: "yyyy-MM-dd'T'HH:mm:ss.SSS" }] })).to.deep.equal([]);
  });

  it('failover: reports a priority for a sink outside the group at /priority/<sink> when given the group', () => {
    const config = { priority: { k1: 10, k3: 5 }, maxPenalty: '30s' };
    const problems = failoverSinkProcessor.check!(config, { sinks: ['k1', 'k2'] });
    const members = ['k1', 'k2'].map((name) => ({ name, sink: {} }) as unknown as NamedSink);
    expectSameMistake(problems, '/priority/k3', () => new FailoverSinkProcessor(config, members, 'g1'), "failover processor 'g1'");
    expect(problems[0]!.message).to.equal("priority names sink 'k3', which is not in the group (k1, k2); name one of the group's sinks or remove the entry");
    expect(failoverSinkProcessor.check!({ priority: { k1: 10, k2: 5 }, maxPenalty: '30s' }, { sinks: ['k1', 'k2'] })).to.deep.equal([]);
    expect(failoverSinkProcessor.check!(config), 'without the group it cannot tell').to.deep.equal([]);
  });
});
