import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parseJavaProperties, parseTopology, validateTopology } from '../src/index.js';
import { builtins } from './lookup.js';

/** The example of reference/flume.md section 1, verbatim (also used by the CLI tests). */
export const FLUME_EXAMPLE = readFileSync(new URL('../../test/fixtures/flume-user-guide.properties', import.meta.url), 'utf8');

describe('Flume .properties', () => {
  it('parses Java properties syntax: separators, comments, continuations, escapes', () => {
    const entries = parseJavaProperties('# comment\n! also\na = 1\nb:2\nc 3\nd = one \\\n    two\ne = tab\\there\\u0041\n');
    expect(Object.fromEntries(entries.map((e) => [e.key, e.value]))).to.deep.equal({ a: '1', b: '2', c: '3', d: 'one two', e: 'tab\thereA' });
  });

  it('loads a netcat -> memory -> logger Flume file with Flume key names and string values', () => {
    const raw = parseTopology(`a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = 44444
a1.sources.r1.max-line-length = 1024
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 1000
a1.channels.c1.keep-alive = 5
a1.sinks.k1.type = logger
a1.sinks.k1.channel = c1
`, 'a1.properties');
    const { model, problems } = validateTopology(raw, builtins);
    expect(problems).to.deep.equal([]);
    expect(model!.agents.a1!.sources.r1!.config).to.include({ port: 44444, maxLineLength: 1024, bind: '127.0.0.1' });
    expect(model!.agents.a1!.channels.c1!.config).to.include({ capacity: 1000, keepAlive: '5s' });
  });

  it('loads the Flume user-guide example and reports only the types this lookup lacks, by component and key', () => {
    const { problems } = validateTopology(parseTopology(FLUME_EXAMPLE, 'flume.properties'), builtins);
    const unknown = problems.map((p) => `${p.path} ${p.key} ${p.message}`);
    expect(unknown).to.include.members([
      "/agents/a1/sources/web/type a1.sources.web.type Flume's http source has no Sluice counterpart",
      "/agents/a1/channels/file/type a1.channels.file.type Flume's file channel has no Sluice counterpart",
      "/agents/a1/sinks/fwd1/type a1.sinks.fwd1.type Flume's avro sink has no Sluice counterpart",
    ]);
    for (const problem of problems) expect(problem.message).to.match(/has no Sluice counterpart$/);
  });

  it('warns about a component configured but not listed (Flume ignores its keys)', () => {
    const raw = parseTopology('a1.channels = c1\na1.sinks = k1\na1.channels.c1.type = memory\na1.channels.c2.type = memory\na1.sinks.k1.type = null\na1.sinks.k1.channel = c1\n', 'x.properties');
    const { problems, warnings } = validateTopology(raw, builtins);
    expect(problems).to.deep.equal([]);
    expect(warnings).to.deep.equal([{ path: '/agents/a1/channels/c2', key: 'a1.channels.c2', severity: 'warning', message: "'c2' is configured but not listed in a1.channels; Flume ignores its keys", hint: 'add it to a1.channels or delete its keys' }]);
  });

  it('keeps the example in sync with the reference document when it is present', function () {
    let reference: string;
    try {
      reference = readFileSync(new URL('../../../../../shared/reference/flume.md', import.meta.url), 'utf8');
    } catch {
      this.skip();
      return;
    }
    const block = /\*\*Example\*\* \(User Guide syntax\):\n```properties\n([\s\S]*?)```/.exec(reference);
    expect(block?.[1]).to.equal(FLUME_EXAMPLE);
  });
});
