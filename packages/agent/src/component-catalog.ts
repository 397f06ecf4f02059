import { Container } from 'inversify';
import type { AnyComponentDefinition, ComponentKind, PluginDefinition } from '@sluice/core';
import type { ComponentLookup } from '@sluice/config';

/**
 * The component types one agent can build, held in the agent's own inversify container (no global
 * registry). Each definition is bound as `kind:type` and as `kind:package#type`; a plain type
 * provided by two plugins is ambiguous and must be written as `package#type`.
 */
export class ComponentCatalog implements ComponentLookup {
  readonly container = new Container();
  private readonly providers = new Map<string, string[]>();
  private readonly registered = new Set<string>();

  /** Binds every component of a plugin; registering the same package again is a no-op. */
  register(plugin: PluginDefinition): void {
    if (this.registered.has(plugin.name)) return;
    this.registered.add(plugin.name);
    for (const definition of plugin.components) {
      const plain = `${definition.kind}:${definition.type}`;
      this.container.bind<AnyComponentDefinition>(plain).toConstantValue(definition);
      this.container.bind<AnyComponentDefinition>(`${definition.kind}:${plugin.name}#${definition.type}`).toConstantValue(definition);
      this.providers.set(plain, [...(this.providers.get(plain) ?? []), plugin.name]);
    }
  }

  find(kind: ComponentKind, type: string): AnyComponentDefinition | undefined {
    const id = `${kind}:${type}`;
    if (!this.container.isBound(id)) return undefined;
    const all = this.container.getAll<AnyComponentDefinition>(id);
    return all.length === 1 ? all[0] : undefined;
  }

  /** The plugins providing a plain type; more than one means the name is ambiguous. */
  providersOf(kind: ComponentKind, type: string): string[] {
    return this.providers.get(`${kind}:${type}`) ?? [];
  }

  types(kind: ComponentKind): string[] {
    const out: string[] = [];
    for (const key of this.providers.keys()) if (key.startsWith(`${kind}:`)) out.push(key.slice(kind.length + 1));
    return out.sort();
  }

  describeMissing(kind: ComponentKind, type: string): string | undefined {
    const providers = this.providersOf(kind, type);
    if (providers.length < 2) return undefined;
    return `${kind} type '${type}' is provided by ${providers.join(' and ')}; write ${providers.map((p) => `${p}#${type}`).join(' or ')} to pick one`;
  }
}
