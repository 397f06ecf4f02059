import type { SluiceEvent } from '@sluice/core';

/** One condition on a body or a header value (a header may also be required `absent`). */
export type Condition =
  | { op: 'equals'; value: string }
  | { op: 'contains'; value: string }
  | { op: 'matches'; value: string; regex: RegExp }
  | { op: 'absent' };

/** What one expected event must satisfy; headers not named are not checked. */
export interface EventMatcher {
  body?: Condition;
  headers: Record<string, Condition>;
}

/** The events expected at one channel (committed to it) or one sink (taken by it), exactly, in order. */
export interface Expectation {
  kind: 'channel' | 'sink';
  target: string;
  events: EventMatcher[];
  /** JSON pointer of the expectation, for messages. */
  path: string;
}

/** One `sluice test` case: events injected at a source, and where they must (not) arrive. */
export interface TopologyTest {
  name: string;
  /** The agent under test; undefined means the command's -n or the file's only agent. */
  agent?: string;
  source: string;
  input: SluiceEvent[];
  expect: Expectation[];
  /** The file that holds the test and its pointer there (`/tests/0`). */
  file: string;
  path: string;
}
