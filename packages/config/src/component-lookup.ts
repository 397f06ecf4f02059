import type { AnyComponentDefinition, ComponentKind } from '@sluice/core';

/**
 * How the validator finds component definitions. The agent's container implements it; tests can
 * pass a plain map. `find` accepts a plain type (`hdfs`) or `package#type`.
 */
export interface ComponentLookup {
  find(kind: ComponentKind, type: string): AnyComponentDefinition | undefined;
  /** Every type name of a kind, for "did you mean" hints. */
  types(kind: ComponentKind): string[];
  /** Why a type cannot be used although something provides it (e.g. two plugins clash), if so. */
  describeMissing?(kind: ComponentKind, type: string): string | undefined;
}
