import { defineComponent, type ComponentContext, type Interceptor, type MetricGroup, type SluiceEvent } from '@sluice/core';
import { splitDelimited } from './csv-record.js';

/** Config of the `csv_to_json` interceptor (the Kinesis agent's CSVTOJSON). */
export interface CsvToJsonConfig {
  customFieldNames: string[];
  delimiter: string;
  trim: boolean;
}

/**
 * Replaces each body, a delimited record such as `v1, "v, 2"`, by a JSON object keyed by
 * `customFieldNames` (`{"f1":"v1","f2":"v, 2"}`). As in the Kinesis agent, a trailing `\n` of
 * the record is removed, missing fields and empty trailing fields become null (Java's split drops
 * them), and extra fields are ignored (counted as EventExtraFieldsCount). Unlike the agent, fields
 * may be quoted and the delimiter is literal text, not a regular expression. Never drops an event.
 */
export class CsvToJsonInterceptor implements Interceptor {
  constructor(private readonly config: CsvToJsonConfig, private readonly metrics?: MetricGroup) {
    metrics?.inc('EventExtraFieldsCount', 0);
  }

  intercept(events: SluiceEvent[]): SluiceEvent[] {
    const names = this.config.customFieldNames;
    let extra = 0;
    for (const event of events) {
      const body = event.body;
      const fields = splitDelimited(body.toString('utf8', 0, body.length > 0 && body[body.length - 1] === 0x0a ? body.length - 1 : body.length), this.config.delimiter, this.config.trim);
      while (fields.length > 0 && fields[fields.length - 1] === '') fields.pop();
      if (fields.length > names.length) extra++;
      // Null prototype: a field named __proto__ is a key like any other.
      const record = Object.create(null) as Record<string, string | null>;
      for (let i = 0; i < names.length; i++) record[names[i]!] = fields[i] ?? null;
      event.body = Buffer.from(JSON.stringify(record), 'utf8');
    }
    if (extra > 0) this.metrics?.inc('EventExtraFieldsCount', extra);
    return events;
  }
}

export const csvToJsonInterceptor = defineComponent<'interceptor', CsvToJsonConfig>({
  kind: 'interceptor',
  type: 'csv_to_json',
  description: 'Converts delimited records (CSV with quoting) into JSON objects with the given field names, like the Kinesis agent\'s CSVTOJSON.',
  guarantee: 'Never drops an event: every body is replaced by its JSON form.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      customFieldNames: { type: 'array', items: { type: 'string' }, minItems: 1, description: 'The JSON keys, in field order.' },
      delimiter: { type: 'string', minLength: 1, default: ',', description: 'The string between fields (may be several characters, e.g. `\\t` or `||`).' },
      trim: { type: 'boolean', default: true, description: 'Remove spaces and tabs around fields (the Kinesis agent does).' },
    },
    required: ['customFieldNames', 'delimiter', 'trim'],
  },
  create: (config, ctx: ComponentContext) => new CsvToJsonInterceptor(config, ctx.metrics),
});
