import type { JSONSchemaType } from 'ajv';
import type { Channel } from './channel.js';
import type {
  ComponentContext, ProcessorContext, SelectorContext, SinkContext, SourceContext, StageContext,
} from './context.js';
import type { Interceptor } from './interceptor.js';
import type { Problem } from './problem.js';
import type { ChannelSelector } from './selector.js';
import type { Sink } from './sink.js';
import type { SinkProcessor } from './sink-processor.js';
import type { Source } from './source.js';
import type { Stage } from './stage.js';

/** The kinds of component a plugin can provide. */
export type ComponentKind = 'source' | 'channel' | 'sink' | 'stage' | 'interceptor' | 'selector' | 'processor';

/** What `create` receives, per kind. */
export interface ContextByKind {
  source: SourceContext;
  channel: ComponentContext;
  sink: SinkContext;
  stage: StageContext;
  interceptor: ComponentContext;
  selector: SelectorContext;
  processor: ProcessorContext;
}

/** What `create` returns, per kind. */
export interface InstanceByKind {
  source: Source;
  channel: Channel;
  sink: Sink;
  stage: Stage;
  interceptor: Interceptor;
  selector: ChannelSelector;
  processor: SinkProcessor;
}

/** A resource a component claims (a listening port, a directory) so clashes fail before start. */
export interface ClaimedResource {
  /** e.g. `tcp:0.0.0.0:5140`, `udp:0.0.0.0:514`, `dir:/var/lib/sluice/c1`. */
  id: string;
  /** The config key that claims it, for the error path (e.g. `port`). */
  key: string;
}

/** What a component's `check` learns from the topology around it (see {@link ComponentDefinition.check}). */
export interface CheckScope {
  /** For a sink processor: the names of its group's sinks, in the group's order. */
  readonly sinks?: readonly string[];
}

/**
 * What a component's {@link ComponentDefinition.fromFlume} can tell the user about the Flume keys
 * it reads. The config loader implements it and turns each call into a problem at that key.
 */
export interface FlumeTranslation {
  /** `key` (as written, without the component prefix) is accepted but has no effect here: a warning. */
  warn(key: string, message: string, hint?: string): void;
  /** `key` cannot be honoured without changing what is delivered: an error. */
  refuse(key: string, message: string, hint?: string): void;
}

/**
 * Describes one component type. The agent validates the user's config against `schema` (with
 * defaults applied, additional properties rejected) and `check`, then calls `create` with the
 * frozen result.
 */
export interface ComponentDefinition<K extends ComponentKind = ComponentKind, C = any> {
  kind: K;
  /** The topology `type` name: a lowercase noun (`memory`, `file_roll`, `syslog_tcp`). */
  type: string;
  /** One line saying what it does, for `sluice plugins` and docs/components.md. */
  description: string;
  /** The delivery guarantee, in plain words (docs/components.md). */
  guarantee: string;
  /** JSON Schema of the config, `additionalProperties: false`, a description and default per field. */
  schema: JSONSchemaType<C>;
  /** Optional behaviours the conformance suites test (e.g. `{ durable: true }`). */
  capabilities?: Readonly<Record<string, boolean>>;
  /** Resources the component would claim with this config, checked for clashes before start. */
  resources?(config: C): ClaimedResource[];
  /**
   * Finds what the schema cannot express (a path template with an unknown escape, a value that
   * only a parser can judge), so `sluice validate` reports it instead of `create` failing at start.
   *
   * Called by the config validator (`@sluice/config` `validateTopology`, hence `sluice validate`,
   * `sluice agent` and hot reload) once per component, only after its config passed the schema,
   * with the defaults applied. Returns every problem, `[]` when there is none; each `path` is a
   * JSON pointer relative to this component's config (`/path`, `/roll/size`), and the validator
   * prefixes the component's pointer and adds the Flume .properties key. Must be pure: no I/O, no
   * clock, no mutation of `config`, and it never throws. Use the same parser `create` uses, so a
   * config that passes here does not fail at start for the same reason, with the same message.
   * `scope` is what the topology around the component says and its config cannot (a sink
   * processor's group members); the validator always passes it, direct callers may leave it out.
   */
  check?(config: C, scope?: CheckScope): Problem[];
  /**
   * The asynchronous part of `check`, for what only a library can judge and only asynchronously
   * (the sql stage prepares its query in DuckDB against an empty table of the declared schema).
   *
   * Called by `@sluice/agent`'s `loadTopology` (hence `sluice validate`, `sluice agent` and hot
   * reload) once per component, after the whole topology passed `validateTopology` (schemas and
   * every `check`), with the defaults applied. Same rules as `check`: returns every problem with
   * paths relative to the component's config, never throws, changes nothing; it may read files the
   * config names and load the component's heavy dependency, but must not start anything that
   * outlives the call.
   */
  verify?(config: C): Promise<Problem[]>;
  /**
   * Translates the keys of a Flume `.properties` component into this component's config.
   *
   * Called by the config loader (`@sluice/config` `validateTopology`) once per component of a
   * Flume file, before schema validation, with the component's keys stripped of their prefix
   * (`hdfs.path`, `kafka.producer.acks`) and every value a string; the schema check coerces
   * numbers and booleans afterwards. Returns the config in this component's own (YAML) terms; it
   * must be pure and never throw. Default: camelCase each key (`max-line-length` -> `maxLineLength`).
   *
   * Flume is lenient and Sluice makes that leniency visible instead of silent. The rules, shared
   * by every component:
   * - A Flume key with a Sluice equivalent is translated (units included: Flume's seconds and
   *   milliseconds become durations such as `30s`).
   * - A Flume key that Flume honours but that means nothing here (thread pools, JVM timeouts,
   *   Kerberos keytabs) is dropped and reported with `flume.warn(key, why)`: a warning, printed by
   *   `sluice validate`, logged once at start, and an error under `--strict`.
   * - A Flume key or value Sluice cannot honour without changing what is written or delivered
   *   (HDFS SequenceFile, Kafka over ZooKeeper) is reported with `flume.refuse(key, why, hint)`:
   *   an error, so the file does not run with different results than under Flume.
   * - Any other key is returned as is; when it is not an option of the schema, the loader drops
   *   it with a warning (Flume ignores unknown keys too), with "did you mean" for likely typos.
   *
   * Flume defaults that differ from Sluice's come from {@link ComponentDefinition.flumeDefaults},
   * which the loader applies to what this returns; `fromFlume` need not fill them in.
   */
  fromFlume?(properties: Record<string, string>, flume?: FlumeTranslation): Record<string, unknown>;
  /**
   * The defaults a Flume file gets where Flume's default differs from this schema's (Flume's
   * memory channel holds 100 events, its hdfs sink rolls every 30 s): config keys in Sluice terms,
   * applied by the loader to a Flume component's translated config for keys it does not set (one
   * level deep for nested objects such as `roll`). YAML topologies keep the schema defaults;
   * docs/components.md lists both.
   */
  flumeDefaults?: Readonly<Record<string, unknown>>;
  create(config: C, ctx: ContextByKind[K]): InstanceByKind[K];
}

/** Any component definition, for registries (the config type erased). */
export interface AnyComponentDefinition {
  readonly kind: ComponentKind;
  readonly type: string;
  readonly description: string;
  readonly guarantee: string;
  readonly schema: object;
  readonly capabilities?: Readonly<Record<string, boolean>>;
  resources?(config: any): ClaimedResource[];
  check?(config: any, scope?: CheckScope): Problem[];
  verify?(config: any): Promise<Problem[]>;
  fromFlume?(properties: Record<string, string>, flume?: FlumeTranslation): Record<string, unknown>;
  readonly flumeDefaults?: Readonly<Record<string, unknown>>;
  create(config: any, ctx: any): unknown;
}

/** Declares a component type; returns it unchanged with its config type checked against the schema. */
export function defineComponent<K extends ComponentKind, C>(definition: ComponentDefinition<K, C>): ComponentDefinition<K, C> {
  return Object.freeze(definition);
}

/** A plugin: data describing the components an npm package provides. No side effects at import. */
export interface PluginDefinition {
  /** The npm package name. */
  name: string;
  /** The @sluice/core semver range the plugin was built for (e.g. `^0.1.0`). */
  core: string;
  components: readonly AnyComponentDefinition[];
}

/** Declares a plugin; the package's default export. */
export function definePlugin(plugin: PluginDefinition): PluginDefinition {
  return Object.freeze({ ...plugin, components: Object.freeze([...plugin.components]) });
}
