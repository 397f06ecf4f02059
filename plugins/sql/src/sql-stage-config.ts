import { DURATION_PATTERN, parseDuration, type Problem } from '@sluice/core';

/** The SQL types a column may have. `integer` is a 64-bit BIGINT. */
export const COLUMN_TYPES = ['varchar', 'integer', 'bigint', 'double', 'boolean', 'timestamp'] as const;
export type ColumnType = typeof COLUMN_TYPES[number];

/** One column of the `events` table, long form: where its value comes from in the event. */
export interface ColumnSpec {
  type: ColumnType;
  /** `body` (a field of the JSON body, the default) or `header`. */
  from?: 'body' | 'header';
  /** The body field (dots for nested: `request.method`) or header name; default the column name. */
  field?: string;
  /** When false, an event without this field is a bad record; default true (NULL). */
  nullable?: boolean;
}

export interface WindowConfig {
  type: 'tumbling' | 'hopping' | 'session';
  size?: string;
  hop?: string;
  gap?: string;
  key?: string;
  time: 'processing' | 'event';
  field?: string;
  lateness: string;
}

export interface ReferenceTableConfig {
  file: string;
  format?: 'csv' | 'json';
}

/** The `sql` stage's config, as validated by {@link SQL_STAGE_SCHEMA}. */
export interface SqlStageConfig {
  schema: Record<string, ColumnType | ColumnSpec>;
  window: WindowConfig;
  query: string;
  tables: Record<string, ReferenceTableConfig>;
  batchSize: number;
  tick: string;
  threads: number;
}

const columnLong = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: { type: 'string', enum: [...COLUMN_TYPES], description: 'SQL type of the column.' },
    from: { type: 'string', enum: ['body', 'header'], default: 'body', description: 'Read the value from a JSON body field or from a header (the Flume `timestamp` header is the event timestamp).' },
    field: { type: 'string', description: 'Body field (dots for nested fields) or header name; default: the column name.' },
    nullable: { type: 'boolean', default: true, description: 'When false, an event without the field is a bad record.' },
  },
};

/** JSON Schema of the `sql` stage. */
export const SQL_STAGE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['schema', 'window', 'query'],
  properties: {
    schema: {
      type: 'object',
      description: 'Columns of the `events` table: `name: type` (a JSON body field of that name) or `name: { type, from: body|header, field, nullable }`. Types: varchar, integer, bigint, double, boolean, timestamp. `sluice sql discover FILE` prints one from sample records.',
      minProperties: 1,
      additionalProperties: { oneOf: [{ type: 'string', enum: [...COLUMN_TYPES] }, columnLong] },
      default: {},
    },
    window: {
      type: 'object',
      additionalProperties: false,
      required: ['type'],
      description: 'The windows the query runs over.',
      properties: {
        type: { type: 'string', enum: ['tumbling', 'hopping', 'session'], description: 'tumbling: fixed, back to back; hopping: `size` long, one starting every `hop`; session: per `key`, closed after `gap` without events.' },
        size: { type: 'string', pattern: DURATION_PATTERN, description: 'Window length (tumbling, hopping).' },
        hop: { type: 'string', pattern: DURATION_PATTERN, description: 'Distance between window starts (hopping); at most `size`.' },
        gap: { type: 'string', pattern: DURATION_PATTERN, description: 'Inactivity that ends a session (session).' },
        key: { type: 'string', description: 'Column whose value separates sessions (session); default: one session stream for all events.' },
        time: { type: 'string', enum: ['processing', 'event'], default: 'processing', description: 'processing: the time the stage takes the event; event: the `field` column of the event.' },
        field: { type: 'string', description: 'Column holding the event time (time: event): epoch ms, or an ISO-8601 string.' },
        lateness: { type: 'string', pattern: DURATION_PATTERN, default: '0s', description: 'Allowed lateness (time: event): the watermark trails the newest event time by this much; windows close when the watermark passes their end, and events for closed windows are late (counted, sent to the dead-letter channel).' },
      },
      default: { type: 'tumbling', time: 'processing', lateness: '0s' },
    },
    query: { type: 'string', minLength: 1, default: '', description: 'Standard SQL over the table `events` (the current window) and the reference `tables`. Each result row becomes one JSON event with the headers windowStart, windowEnd (epoch ms) and windowId.' },
    tables: {
      type: 'object',
      description: 'Reference tables for joins: `name: { file, format }`, loaded from a CSV (with header) or JSON file and reloaded when the file changes.',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['file'],
        properties: {
          file: { type: 'string', minLength: 1, description: 'Path of the CSV or JSON (array or lines) file.' },
          format: { type: 'string', enum: ['csv', 'json'], description: 'Default: from the file extension (.csv, else json).' },
        },
      },
      default: {},
    },
    batchSize: { type: 'integer', minimum: 1, default: 5000, description: 'Most events per take from the input channel (and per put of results); each take is one fsync of the checkpoint, so large batches amortize it when a backlog builds. At most the input channel\'s transactionCapacity.' },
    tick: { type: 'string', pattern: DURATION_PATTERN, default: '100ms', description: 'How often windows are checked for closing while the input is idle.' },
    threads: { type: 'integer', minimum: 1, default: 1, description: 'DuckDB worker threads.' },
  },
};

/** A column after normalisation: where to read it and how to type it. */
export interface Column {
  name: string;
  type: ColumnType;
  from: 'body' | 'header';
  /** Body path split at dots, or the header name as the only element. */
  path: string[];
  nullable: boolean;
}

/** Turns the `schema` map into columns, in declaration order. */
export function columnsOf(schema: SqlStageConfig['schema']): Column[] {
  return Object.entries(schema).map(([name, spec]) => {
    const long: ColumnSpec = typeof spec === 'string' ? { type: spec } : spec;
    const from = long.from ?? 'body';
    const field = long.field ?? name;
    return { name, type: long.type, from, path: from === 'header' ? [field] : field.split('.'), nullable: long.nullable ?? true };
  });
}

/** Window parameters in milliseconds. */
export interface WindowPlan {
  type: 'tumbling' | 'hopping' | 'session';
  sizeMs: number;
  hopMs: number;
  gapMs: number;
  /** Index of the session key column, or -1. */
  keyColumn: number;
  time: 'processing' | 'event';
  /** Index of the event-time column (time: event), or -1. */
  timeColumn: number;
  latenessMs: number;
}

/** The window plan of a config, or the problems that prevent one (pure; used by check() and the stage). */
export function planWindow(config: SqlStageConfig): { plan?: WindowPlan; problems: Problem[] } {
  const problems: Problem[] = [];
  const w = config.window;
  const columns = columnsOf(config.schema);
  const index = (name: string | undefined): number => (name === undefined ? -1 : columns.findIndex((c) => c.name === name));
  const ms = (key: 'size' | 'hop' | 'gap' | 'lateness'): number => (w[key] === undefined ? 0 : parseDuration(w[key]!));
  const plan: WindowPlan = {
    type: w.type, sizeMs: ms('size'), hopMs: ms('hop'), gapMs: ms('gap'), keyColumn: index(w.key),
    time: w.time ?? 'processing', timeColumn: index(w.field), latenessMs: ms('lateness'),
  };
  if (w.type !== 'session' && !(plan.sizeMs > 0)) problems.push({ path: '/window/size', message: `a ${w.type} window needs a size above 0`, hint: 'size: 10s' });
  if (w.type === 'hopping') {
    if (!(plan.hopMs > 0)) problems.push({ path: '/window/hop', message: 'a hopping window needs a hop above 0', hint: 'hop: 5s' });
    else if (plan.hopMs > plan.sizeMs && plan.sizeMs > 0) problems.push({ path: '/window/hop', message: `hop ${w.hop} is longer than size ${w.size}, which would skip events`, hint: 'use a hop no longer than the size' });
  } else if (w.hop !== undefined) problems.push({ path: '/window/hop', message: `hop applies only to hopping windows, not ${w.type}` });
  if (w.type === 'session') {
    if (!(plan.gapMs > 0)) problems.push({ path: '/window/gap', message: 'a session window needs a gap above 0', hint: 'gap: 30s' });
    if (w.size !== undefined) problems.push({ path: '/window/size', message: 'a session window has no size; it ends after `gap` without events' });
    if (w.key !== undefined && plan.keyColumn < 0) problems.push({ path: '/window/key', message: `no column '${w.key}' in the schema`, hint: `columns: ${columns.map((c) => c.name).join(', ')}` });
  } else {
    if (w.gap !== undefined) problems.push({ path: '/window/gap', message: `gap applies only to session windows, not ${w.type}` });
    if (w.key !== undefined) problems.push({ path: '/window/key', message: `key applies only to session windows (use GROUP BY in the query for ${w.type} windows)` });
  }
  if (plan.time === 'event') {
    if (w.field === undefined) problems.push({ path: '/window/field', message: 'event time needs the column holding each event\'s time', hint: 'field: ts (a column of the schema)' });
    else if (plan.timeColumn < 0) problems.push({ path: '/window/field', message: `no column '${w.field}' in the schema`, hint: `columns: ${columns.map((c) => c.name).join(', ')}` });
    else if (columns[plan.timeColumn]!.type === 'boolean' || columns[plan.timeColumn]!.type === 'double') problems.push({ path: '/window/field', message: `column '${w.field}' is ${columns[plan.timeColumn]!.type}; an event time is an integer (epoch ms), a timestamp or an ISO-8601 varchar` });
  } else {
    if (w.field !== undefined) problems.push({ path: '/window/field', message: 'field applies only to time: event', hint: 'add time: event, or remove field' });
    if (w.lateness !== undefined && plan.latenessMs !== 0) problems.push({ path: '/window/lateness', message: 'lateness applies only to time: event' });
  }
  return problems.length > 0 ? { problems } : { plan, problems };
}

const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]*$/;

/** Everything check() can judge without DuckDB: column and table names, window parameters. */
export function checkSqlStage(config: SqlStageConfig): Problem[] {
  const problems: Problem[] = [];
  for (const name of Object.keys(config.schema)) {
    if (!IDENTIFIER.test(name)) problems.push({ path: `/schema/${name}`, message: `column name '${name}' is not a plain identifier`, hint: 'use letters, digits and _ (start with a letter), and map the field with { type, field }' });
  }
  for (const name of Object.keys(config.tables)) {
    if (!IDENTIFIER.test(name)) problems.push({ path: `/tables/${name}`, message: `table name '${name}' is not a plain identifier`, hint: 'use letters, digits and _ (start with a letter)' });
    if (name.toLowerCase() === 'events') problems.push({ path: `/tables/${name}`, message: '`events` is the window\'s table; name the reference table differently' });
  }
  problems.push(...planWindow(config).problems);
  return problems;
}
