import { builtinPlugin, type AnyComponentDefinition, type ComponentKind } from '@sluice/core';
import type { ComponentLookup } from '../src/index.js';

/** A lookup over the built-in components, for validator tests. */
export const builtins: ComponentLookup = {
  find: (kind: ComponentKind, type: string): AnyComponentDefinition | undefined => builtinPlugin.components.find((c) => c.kind === kind && c.type === type),
  types: (kind: ComponentKind) => builtinPlugin.components.filter((c) => c.kind === kind).map((c) => c.type),
};
