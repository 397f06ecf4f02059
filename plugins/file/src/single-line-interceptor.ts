import { defineComponent, type Interceptor, type SluiceEvent } from '@sluice/core';

/** Config of the `single_line` interceptor (the Kinesis agent's SINGLELINE). */
export interface SingleLineConfig {
  separator: string;
}

/**
 * Turns a multi-line record (a stack trace joined by taildir's multilineStartPattern) into one
 * line: newlines and the spaces and tabs around them are removed (replaced by `separator`), and
 * the record is trimmed (of all whitespace, as String#trim). Bodies without a newline are only
 * trimmed; a body this leaves unchanged keeps its bytes. Never drops an event.
 */
export class SingleLineInterceptor implements Interceptor {
  constructor(private readonly config: SingleLineConfig) {}

  intercept(events: SluiceEvent[]): SluiceEvent[] {
    for (const event of events) {
      const body = event.body;
      if (body.length === 0 || (isVisible(body[0]!) && isVisible(body[body.length - 1]!) && body.indexOf(0x0a) < 0)) continue;
      const text = body.toString('utf8');
      const joined = joinLines(text.trim(), this.config.separator);
      // Unchanged text keeps its bytes (a body that is not UTF-8 is not rewritten for nothing).
      if (joined !== text) event.body = Buffer.from(joined, 'utf8');
    }
    return events;
  }
}

/** A printable ASCII byte: nothing that String#trim could remove starts or ends with it. */
const isVisible = (c: number): boolean => c > 0x20 && c < 0x7f;

const isBlank = (c: number): boolean => c === 0x20 || c === 0x09;

/**
 * Replaces each `\n`, with the `\r` just before it and the spaces and tabs around them, by
 * `separator` (taken literally). One pass over the text: the regular expression it replaces,
 * `/[ \t]*\r?\n[ \t]*\/g`, went back over every run of blanks from each of its positions, which
 * took seconds on a record with a long run of spaces.
 */
export function joinLines(text: string, separator: string): string {
  let out = '';
  let from = 0;
  for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', from)) {
    let start = newline;
    if (start > from && text.charCodeAt(start - 1) === 0x0d) start--;
    while (start > from && isBlank(text.charCodeAt(start - 1))) start--;
    out += text.slice(from, start) + separator;
    from = newline + 1;
    while (from < text.length && isBlank(text.charCodeAt(from))) from++;
  }
  return from === 0 ? text : out + text.slice(from);
}

export const singleLineInterceptor = defineComponent<'interceptor', SingleLineConfig>({
  kind: 'interceptor',
  type: 'single_line',
  description: 'Joins a multi-line record into one line, removing newlines and the spaces around them, like the Kinesis agent\'s SINGLELINE.',
  guarantee: 'Never drops an event; only bodies change.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      separator: { type: 'string', default: '', description: 'What replaces each newline (with its surrounding spaces). The Kinesis agent uses nothing; a space keeps words apart.' },
    },
    required: ['separator'],
  },
  create: (config) => new SingleLineInterceptor(config),
});
