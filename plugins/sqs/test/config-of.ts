import type { AnyComponentDefinition } from '@sluice/core';

/** A component config: the schema's defaults, then `values` (what the agent's validator would hand `create`). */
export function configOf<C>(definition: AnyComponentDefinition, values: Record<string, unknown>): C {
  const properties = (definition.schema as { properties: Record<string, { default?: unknown }> }).properties;
  const defaults = Object.fromEntries(Object.entries(properties).map(([key, p]) => [key, p.default]));
  return Object.freeze({ ...defaults, ...values }) as C;
}
