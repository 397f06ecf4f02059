/**
 * Renames the keys of a Flume `.properties` component (already stripped of its prefix) to Sluice
 * config keys. Keys not in `names` pass through unchanged so the schema check reports them.
 * Called by interceptors' and processors' `fromFlume`.
 */
export function renameFlumeKeys(properties: Record<string, string>, names: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(properties)) out[names[key] ?? key] = value;
  return out;
}

/** Splits a Flume whitespace-separated list (`c1 c2`). */
export function splitFlumeList(value: string): string[] {
  const trimmed = value.trim();
  return trimmed === '' ? [] : trimmed.split(/\s+/);
}
