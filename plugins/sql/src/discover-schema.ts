import type { ColumnType } from './sql-stage-config.js';
import { readSampleRecords } from './sample-records.js';

/** One inferred column. */
export interface DiscoveredColumn {
  name: string;
  /** The body field (dotted for nested), when it differs from the name. */
  field: string;
  type: ColumnType;
  /** Missing or null in at least one record. */
  nullable: boolean;
  /** In how many records the field had a value. */
  seen: number;
}

const INTEGER = /^-?[0-9]+$/;
const NUMBER = /^-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** The narrowest type of one value, as the sql stage would read it. */
function typeOf(value: unknown): ColumnType {
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return Number.isSafeInteger(value) ? 'integer' : 'double';
  if (typeof value === 'string') {
    if (value === 'true' || value === 'false') return 'boolean';
    if (INTEGER.test(value) && Number.isSafeInteger(Number(value))) return 'integer';
    if (NUMBER.test(value)) return 'double';
    if (ISO_TIME.test(value) && !Number.isNaN(Date.parse(value))) return 'timestamp';
  }
  return 'varchar';
}

/** The type both of two types' values fit in. */
function widen(a: ColumnType, b: ColumnType): ColumnType {
  if (a === b) return a;
  if ((a === 'integer' && b === 'double') || (a === 'double' && b === 'integer')) return 'double';
  return 'varchar';
}

/** Flattens nested objects into dotted fields (arrays stay one varchar value). */
function flatten(record: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [key, value] of Object.entries(record)) {
    const field = prefix ? `${prefix}.${key}` : key;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) flatten(value as Record<string, unknown>, field, out);
    else out[field] = value;
  }
  return out;
}

/**
 * Infers the sql stage schema of sample records (`sluice sql discover`): one column per field seen,
 * nested fields flattened (`request.method` becomes column `request_method` reading that field),
 * the narrowest type every value fits (integer, double, boolean, timestamp for ISO-8601 strings,
 * else varchar), nullable when a record lacks the field or holds null.
 */
export function discoverSchema(records: readonly Record<string, unknown>[]): DiscoveredColumn[] {
  const columns = new Map<string, { type?: ColumnType; seen: number }>();
  const flat = records.map((r) => flatten(r));
  for (const record of flat) {
    for (const [field, value] of Object.entries(record)) {
      const entry = columns.get(field) ?? { seen: 0 };
      columns.set(field, entry);
      if (value === null || value === undefined || value === '') continue;
      entry.seen++;
      const type = typeOf(value);
      entry.type = entry.type === undefined ? type : widen(entry.type, type);
    }
  }
  const used = new Set<string>();
  return [...columns.entries()].map(([field, entry]) => {
    let name = field.replace(/[^A-Za-z0-9_]/g, '_').replace(/^([^A-Za-z])/, 'c_$1');
    while (used.has(name)) name = `${name}_`;
    used.add(name);
    return { name, field, type: entry.type ?? 'varchar', nullable: entry.seen < records.length, seen: entry.seen };
  });
}

/** The `schema:` YAML to paste into a sql stage, with how often each field was seen. */
export function renderSchemaYaml(columns: readonly DiscoveredColumn[], total: number): string {
  const lines = [`# inferred from ${total} records; columns missing or null somewhere are nullable`, 'schema:'];
  const width = Math.max(0, ...columns.map((c) => c.name.length));
  for (const c of columns) {
    const extra: string[] = [];
    if (c.field !== c.name) extra.push(`field: ${c.field}`);
    if (!c.nullable) extra.push('nullable: false');
    const value = extra.length === 0 ? c.type : `{ type: ${c.type}, ${extra.join(', ')} }`;
    lines.push(`  ${`${c.name}:`.padEnd(width + 1)} ${value.padEnd(44)} # in ${c.seen} of ${total} records`);
  }
  return `${lines.join('\n')}\n`;
}

/** Reads a sample file and renders its schema (for the CLI). */
export async function discoverSchemaOfFile(file: string): Promise<{ yaml: string; columns: DiscoveredColumn[]; format: string; records: number; skipped: number }> {
  const sample = await readSampleRecords(file);
  const columns = discoverSchema(sample.records);
  return { yaml: renderSchemaYaml(columns, sample.records.length), columns, format: sample.format, records: sample.records.length, skipped: sample.skipped };
}
