import { defineComponent, type Interceptor, type SluiceEvent } from '@sluice/core';

/** Config of the `single_line` interceptor (the Kinesis agent's SINGLELINE). */
export interface SingleLineConfig {
  separator: string;
}

const NEWLINE = /[ \t]*\r?\n[ \t]*/g;

/**
 * Turns a multi-line record (a stack trace joined by taildir's multilineStartPattern) into one
 * line: newlines and the spaces and tabs around them are removed (replaced by `separator`), and
 * the record is trimmed. Bodies without a newline are only trimmed. Never drops an event.
 */
export class SingleLineInterceptor implements Interceptor {
  constructor(private readonly config: SingleLineConfig) {}

  intercept(events: SluiceEvent[]): SluiceEvent[] {
    for (const event of events) {
      const body = event.body;
      const first = body[0];
      const last = body[body.length - 1];
      const needsTrim = first === 0x20 || first === 0x09 || last === 0x20 || last === 0x09;
      if (!needsTrim && body.indexOf(0x0a) < 0) continue;
      const text = body.toString('utf8').trim().replace(NEWLINE, this.config.separator);
      event.body = Buffer.from(text, 'utf8');
    }
    return events;
  }
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
