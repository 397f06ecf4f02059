import { expect } from 'chai';
import { parseTopology, validateTopology, type Problem } from '../src/index.js';
import { builtins } from './lookup.js';

/** The problems of one agent whose netcat source, memory channel and sink take the given lines. */
function problemsOf(yaml: string): Problem[] {
  const { model, problems } = validateTopology(parseTopology(yaml, 'topology.yaml', { env: {} }), builtins);
  expect(model).to.equal(undefined);
  return problems;
}

const at = (problems: Problem[], path: string): Problem => {
  const found = problems.find((p) => p.path === path);
  expect(found, `a problem at ${path} among ${JSON.stringify(problems)}`).to.not.equal(undefined);
  return found!;
};

describe('YAML traps in a topology', () => {
  it('type: null, type: ~ and an empty type say YAML read null and how to name the null sink', () => {
    const problems = problemsOf(`
agents:
  a1:
    sources: { r1: { type: seq, channels: [c1] } }
    channels: { c1: { type: memory } }
    sinks:
      k1: { type: null, channel: c1 }
      k2:
        type: ~
        channel: c1
      k3:
        type:
        channel: c1
`);
    expect(at(problems, '/agents/a1/sinks/k1/type')).to.deep.include({
      message: 'sink type is missing: YAML read the unquoted null as null (no value), not as text (line 7)',
    });
    expect(at(problems, '/agents/a1/sinks/k1/type').hint).to.match(/^to use the type named null, quote it: type: "null"; known sink types: .*null/);
    expect(at(problems, '/agents/a1/sinks/k2/type').message).to.equal('sink type is missing: YAML read the unquoted ~ as null (no value), not as text (line 9)');
    expect(at(problems, '/agents/a1/sinks/k3/type').message).to.equal('sink type is missing: YAML read the empty value as null (no value), not as text (line 12)');
    expect(problems).to.have.length(3);
  });

  it('type: "null" (quoted) is the null sink and raises nothing', () => {
    const { problems } = validateTopology(parseTopology(`
agents:
  a1:
    sources: { r1: { type: seq, channels: [c1] } }
    channels: { c1: { type: memory } }
    sinks: { k1: { type: "null", channel: c1 } }
`, 'topology.yaml', { env: {} }), builtins);
    expect(problems).to.deep.equal([]);
  });

  it('a quoted port is text to YAML: the schema wants an integer, and the hint drops the quotes', () => {
    const problems = problemsOf(`
agents:
  a1:
    sources: { r1: { type: netcat, port: "5140", channels: [c1] } }
    channels: { c1: { type: memory } }
    sinks: { k1: { type: logger, channel: c1 } }
`);
    expect(problems).to.deep.equal([{
      path: '/agents/a1/sources/r1/port',
      message: 'must be integer: the quotes make YAML read "5140" as text (line 4)',
      hint: 'drop the quotes: port: 5140',
    }]);
  });

  it('a port from a whole ${VAR} stays a number, so only written quotes are a problem', () => {
    const { problems } = validateTopology(parseTopology(`
agents:
  a1:
    sources: { r1: { type: netcat, port: "\${PORT}", channels: [c1] } }
    channels: { c1: { type: memory } }
    sinks: { k1: { type: logger, channel: c1 } }
`, 'topology.yaml', { env: { PORT: '5140' } }), builtins);
    expect(problems).to.deep.equal([]);
  });

  it('unquoted true and 1.10 where text is expected say what YAML made of them and how to quote them', () => {
    const problems = problemsOf(`
agents:
  a1:
    sources:
      r1:
        type: seq
        channels: [c1]
        interceptors:
          - { type: static, key: enabled, value: true }
          - { type: static, key: version, value: 1.10 }
    channels: { c1: { type: memory } }
    sinks: { k1: { type: logger, channel: c1 } }
`);
    expect(at(problems, '/agents/a1/sources/r1/interceptors/0/value')).to.deep.equal({
      path: '/agents/a1/sources/r1/interceptors/0/value',
      message: 'must be string: YAML read the unquoted true as the boolean true (line 9)',
      hint: 'quote it to keep the text: value: "true"',
    });
    expect(at(problems, '/agents/a1/sources/r1/interceptors/1/value')).to.deep.include({
      message: 'must be string: YAML read the unquoted 1.10 as the number 1.1 (line 10)',
      hint: 'quote it to keep the text: value: "1.10"',
    });
  });

  it('unquoted yes/no/on/off: text in YAML 1.2 where a boolean is expected, booleans under %YAML 1.1 where text is', () => {
    const flags = problemsOf(`
agents:
  a1:
    sources:
      r1: { type: seq, channels: [c1], interceptors: [{ type: static, key: k, value: v, preserveExisting: no }] }
    channels: { c1: { type: memory } }
    sinks: { k1: { type: logger, channel: c1 } }
`);
    expect(flags).to.deep.equal([{
      path: '/agents/a1/sources/r1/interceptors/0/preserveExisting',
      message: 'must be boolean: YAML 1.2 reads the unquoted no as the text "no", not a boolean as YAML 1.1 did (line 5)',
      hint: 'write preserveExisting: false',
    }]);
    const values = problemsOf(`%YAML 1.1
---
agents:
  a1:
    sources:
      r1: { type: seq, channels: [c1], interceptors: [{ type: static, key: switch, value: on }] }
    channels: { c1: { type: memory } }
    sinks: { k1: { type: logger, channel: c1 } }
`);
    expect(values).to.deep.equal([{
      path: '/agents/a1/sources/r1/interceptors/0/value',
      message: "must be string: YAML read the unquoted on as the boolean true, as YAML 1.1 (this file's %YAML 1.1) does with yes/no/on/off (line 6)",
      hint: 'quote it to keep the text: value: "on"',
    }]);
  });

  it('leaves problems that are not about how YAML read a value as they were', () => {
    const problems = problemsOf(`
agents:
  a1:
    sources: { r1: { type: netcat, port: 70000, channels: [c1] } }
    channels: { c1: { type: memory } }
    sinks: { k1: { type: logger, channel: c1 } }
`);
    expect(problems).to.deep.equal([{ path: '/agents/a1/sources/r1/port', message: 'must be <= 65535' }]);
  });
});
