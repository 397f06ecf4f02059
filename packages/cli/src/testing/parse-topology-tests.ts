import { createEvent, type Problem, type SluiceEvent } from '@sluice/core';
import type { Condition, EventMatcher, Expectation, TopologyTest } from './topology-test.js';

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);
const TEST_KEYS = ['name', 'agent', 'source', 'input', 'expect'];
const CONDITION_KEYS = ['equals', 'contains', 'matches', 'absent'];

/**
 * Reads a `tests:` list (from a topology file or its `NAME.test.yaml` beside it) into test cases,
 * pushing one problem per mistake with its JSON pointer (`/tests/0/expect/1/channel`). The shape:
 *
 *     tests:
 *       - name: what the test shows
 *         agent: router            # optional when the file defines one agent (or with -n)
 *         source: lines            # where the input enters (its interceptors, then its selector)
 *         input:                   # events: a string is a body; or { body | bodyBase64, headers }
 *           - ERROR disk full
 *         expect:                  # per channel (events committed to it) or sink (events it took)
 *           - channel: alerts
 *             events:              # exactly these, in order; [] means none
 *               - body: ERROR disk full                       # a string: equals
 *                 headers: { level: ERROR, ts: { matches: '^\d+$' }, secret: { absent: true } }
 *           - sink: to-standby
 *             events: []
 */
export function parseTopologyTests(value: unknown, file: string, problems: Problem[]): TopologyTest[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.push({ path: '/tests', message: 'must be a list of tests', hint: 'tests: [{ name, source, input: [...], expect: [...] }]' });
    return [];
  }
  const tests: TopologyTest[] = [];
  value.forEach((raw, i) => {
    const at = `/tests/${i}`;
    const before = problems.length;
    if (!isObject(raw)) {
      problems.push({ path: at, message: 'a test must be a mapping with name, source, input and expect' });
      return;
    }
    unknownKeys(raw, TEST_KEYS, at, 'test key', problems);
    const name = requireString(raw, 'name', at, problems);
    const source = requireString(raw, 'source', at, problems);
    if (raw.agent !== undefined && typeof raw.agent !== 'string') problems.push({ path: `${at}/agent`, message: 'must be an agent name' });
    const input = parseInput(raw.input, `${at}/input`, problems);
    const expect = parseExpectations(raw.expect, `${at}/expect`, problems);
    if (problems.length > before) return;
    tests.push({ name: name!, source: source!, input, expect, file, path: at, ...(typeof raw.agent === 'string' ? { agent: raw.agent } : {}) });
  });
  return tests;
}

function parseInput(value: unknown, at: string, problems: Problem[]): SluiceEvent[] {
  if (!Array.isArray(value) || value.length === 0) {
    problems.push({ path: at, message: 'must be a non-empty list of events', hint: 'input: ["a body", { body: "another", headers: { app: web } }]' });
    return [];
  }
  return value.flatMap((raw, i): SluiceEvent[] => {
    const path = `${at}/${i}`;
    if (typeof raw === 'string') return [createEvent(raw)];
    if (!isObject(raw)) {
      problems.push({ path, message: 'an input event is a string (its body) or a mapping with body or bodyBase64 and headers' });
      return [];
    }
    unknownKeys(raw, ['body', 'bodyBase64', 'headers'], path, 'input event key', problems);
    const headers = parseHeaders(raw.headers, `${path}/headers`, problems);
    if (typeof raw.body === 'string' && raw.bodyBase64 === undefined) return [createEvent(raw.body, headers)];
    if (typeof raw.bodyBase64 === 'string' && raw.body === undefined && /^[A-Za-z0-9+/]*={0,2}$/.test(raw.bodyBase64)) return [createEvent(Buffer.from(raw.bodyBase64, 'base64'), headers)];
    problems.push({ path, message: 'needs exactly one of body (text) or bodyBase64 (base64 bytes)', hint: 'quote a body YAML would read as a number, boolean or null: body: "true"' });
    return [];
  });
}

function parseHeaders(value: unknown, at: string, problems: Problem[]): Record<string, string> {
  if (value === undefined) return {};
  if (!isObject(value)) {
    problems.push({ path: at, message: 'must be a mapping of header names to string values' });
    return {};
  }
  const headers: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === 'string') headers[key] = v;
    else problems.push({ path: `${at}/${key}`, message: `must be a string, got ${describeYaml(v)}`, hint: `quote it: ${key}: "${String(v)}"` });
  }
  return headers;
}

function parseExpectations(value: unknown, at: string, problems: Problem[]): Expectation[] {
  if (!Array.isArray(value) || value.length === 0) {
    problems.push({ path: at, message: 'must be a non-empty list of { channel: NAME, events: [...] } or { sink: NAME, events: [...] }' });
    return [];
  }
  return value.flatMap((raw, i): Expectation[] => {
    const path = `${at}/${i}`;
    if (!isObject(raw)) {
      problems.push({ path, message: 'an expectation is a mapping: { channel: NAME, events: [...] } or { sink: NAME, events: [...] }' });
      return [];
    }
    unknownKeys(raw, ['channel', 'sink', 'events'], path, 'expectation key', problems);
    const kind = raw.channel !== undefined ? 'channel' : 'sink';
    const target = raw[kind];
    if ((raw.channel === undefined) === (raw.sink === undefined) || typeof target !== 'string') {
      problems.push({ path, message: 'needs exactly one of channel: NAME or sink: NAME' });
      return [];
    }
    if (!Array.isArray(raw.events)) {
      problems.push({ path: `${path}/events`, message: 'must be a list of expected events ([] when none may arrive)' });
      return [];
    }
    const events = raw.events.map((e, j) => parseMatcher(e, `${path}/events/${j}`, problems));
    return [{ kind, target, events, path }];
  });
}

function parseMatcher(value: unknown, at: string, problems: Problem[]): EventMatcher {
  if (typeof value === 'string') return { body: { op: 'equals', value }, headers: {} };
  if (!isObject(value)) {
    problems.push({ path: at, message: 'an expected event is a string (its exact body) or a mapping with body and/or headers' });
    return { headers: {} };
  }
  unknownKeys(value, ['body', 'headers'], at, 'expected event key', problems);
  const matcher: EventMatcher = { headers: {} };
  if (value.body !== undefined) {
    const body = parseCondition(value.body, `${at}/body`, false, problems);
    if (body) matcher.body = body;
  }
  if (value.headers !== undefined) {
    if (!isObject(value.headers)) problems.push({ path: `${at}/headers`, message: 'must be a mapping of header names to conditions' });
    else {
      for (const [key, v] of Object.entries(value.headers)) {
        const condition = parseCondition(v, `${at}/headers/${key}`, true, problems);
        if (condition) matcher.headers[key] = condition;
      }
    }
  }
  return matcher;
}

function parseCondition(value: unknown, at: string, header: boolean, problems: Problem[]): Condition | undefined {
  if (typeof value === 'string') return { op: 'equals', value };
  const allowed = header ? CONDITION_KEYS : CONDITION_KEYS.filter((k) => k !== 'absent');
  const hint = `a string (equals) or one of ${allowed.map((k) => (k === 'absent' ? '{ absent: true }' : `{ ${k}: ... }`)).join(', ')}`;
  if (!isObject(value) || Object.keys(value).length !== 1) {
    problems.push({ path: at, message: `must be ${hint}, got ${describeYaml(value)}`, ...(isObject(value) ? {} : { hint: 'quote values YAML reads as numbers, booleans or null' }) });
    return undefined;
  }
  const [op, operand] = Object.entries(value)[0]!;
  if (!allowed.includes(op)) {
    problems.push({ path: `${at}/${op}`, message: `unknown condition '${op}'`, hint: `use ${hint}` });
    return undefined;
  }
  if (op === 'absent') {
    if (operand !== true) problems.push({ path: `${at}/absent`, message: 'must be true' });
    return { op: 'absent' };
  }
  if (typeof operand !== 'string') {
    problems.push({ path: `${at}/${op}`, message: `must be a string, got ${describeYaml(operand)}`, hint: 'quote it' });
    return undefined;
  }
  if (op === 'matches') {
    try {
      return { op, value: operand, regex: new RegExp(operand) };
    } catch (error) {
      problems.push({ path: `${at}/matches`, message: `is not a valid regular expression: ${(error as Error).message}` });
      return undefined;
    }
  }
  return { op: op as 'equals' | 'contains', value: operand };
}

function requireString(object: Json, key: string, at: string, problems: Problem[]): string | undefined {
  const value = object[key];
  if (typeof value === 'string' && value !== '') return value;
  problems.push({ path: `${at}/${key}`, message: value === undefined ? 'is required' : `must be a non-empty string, got ${describeYaml(value)}` });
  return undefined;
}

function unknownKeys(object: Json, allowed: string[], at: string, what: string, problems: Problem[]): void {
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key)) problems.push({ path: `${at}/${key}`, message: `unknown ${what} '${key}'`, hint: `allowed: ${allowed.join(', ')}` });
  }
}

function describeYaml(value: unknown): string {
  if (value === null) return 'null (YAML reads an empty value, null or ~ as null)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `the ${typeof value} ${String(value)}`;
}
