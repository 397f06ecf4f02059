import type { SluiceEvent } from '@sluice/core';
import type { Condition, EventMatcher, Expectation } from './topology-test.js';

/** The conditions of `matcher` that `event` fails, each described (`body: expected equals "a"`); [] when it matches. */
export function failedConditions(matcher: EventMatcher, event: SluiceEvent): string[] {
  const failed: string[] = [];
  if (matcher.body && !holds(matcher.body, event.body.toString('utf8'))) failed.push(`body: expected ${describeCondition(matcher.body)}`);
  for (const [name, condition] of Object.entries(matcher.headers)) {
    if (!holds(condition, event.headers[name])) failed.push(`header ${name}: expected ${describeCondition(condition)}${event.headers[name] === undefined ? ', but it is absent' : ''}`);
  }
  return failed;
}

function holds(condition: Condition, value: string | undefined): boolean {
  switch (condition.op) {
    case 'absent':
      return value === undefined;
    case 'equals':
      return value === condition.value;
    case 'contains':
      return value !== undefined && value.includes(condition.value);
    case 'matches':
      return value !== undefined && condition.regex.test(value);
  }
}

function describeCondition(condition: Condition): string {
  return condition.op === 'absent' ? 'absent' : `${condition.op} ${JSON.stringify(condition.value)}`;
}

/** `body equals "x", header level equals "ERROR"` (or `any event`). */
export function describeMatcher(matcher: EventMatcher): string {
  const parts = [
    ...(matcher.body ? [`body ${describeCondition(matcher.body)}`] : []),
    ...Object.entries(matcher.headers).map(([name, c]) => `header ${name} ${describeCondition(c)}`),
  ];
  return parts.length > 0 ? parts.join(', ') : 'any event';
}

/** `body "x" {k=v, ...}`; a body that is not UTF-8 is shown as base64. */
export function describeEvent(event: SluiceEvent): string {
  const text = event.body.toString('utf8');
  const body = Buffer.from(text, 'utf8').equals(event.body) ? JSON.stringify(text) : `base64:${event.body.toString('base64')}`;
  return `body ${body} {${Object.entries(event.headers).map(([k, v]) => `${k}=${v}`).join(', ')}}`;
}

/**
 * Compares the events that reached an expectation's channel or sink with the expected ones (same
 * count, in order, each matching its conditions). Returns undefined when they agree, otherwise the
 * diff: a count line, then per position ` ` (agrees), `-` (expected) and `+` (actual) lines.
 */
export function compareEvents(expectation: Expectation, actual: readonly SluiceEvent[]): string[] | undefined {
  const expected = expectation.events;
  const verdicts = Array.from({ length: Math.max(expected.length, actual.length) }, (_, i) =>
    i < expected.length && i < actual.length ? failedConditions(expected[i]!, actual[i]!) : undefined);
  if (expected.length === actual.length && verdicts.every((v) => v !== undefined && v.length === 0)) return undefined;
  const plural = (n: number): string => `${n} event${n === 1 ? '' : 's'}`;
  const lines = [`${expectation.kind} '${expectation.target}': expected ${plural(expected.length)}, ${plural(actual.length)} arrived`];
  verdicts.forEach((failed, i) => {
    const n = `#${i + 1}`;
    const matcher = expected[i];
    const event = actual[i];
    if (matcher && event && failed!.length === 0) {
      lines.push(`    ${n} ${describeEvent(event)}`);
      return;
    }
    lines.push(matcher ? `  - ${n} ${describeMatcher(matcher)}` : `  - ${n} (no event expected)`);
    lines.push(event ? `  + ${n} ${describeEvent(event)}` : `  + ${n} (no event arrived)`);
    for (const reason of failed ?? []) lines.push(`      ${reason}`);
  });
  return lines;
}
