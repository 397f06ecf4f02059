import {
  ChannelProcessor, SluiceError, type AnyComponentDefinition, type Channel, type ChannelSelector, type ComponentContext,
  type ComponentKind, type Interceptor, type Logger, type MetricGroup, type MetricKind, type Telemetry,
} from '@sluice/core';
import type { ComponentModel, SourceModel } from '@sluice/config';
import type { ComponentCatalog } from './component-catalog.js';
import type { TapPoint } from './tap/tap-hub.js';

/** What {@link buildSourcePath} needs to build one source's interceptors -> selector -> channels path. */
export interface SourcePathOptions {
  source: SourceModel;
  /** The running channels the source writes to, by name (every name in `source.channels`). */
  channels: ReadonlyMap<string, Channel>;
  catalog: ComponentCatalog;
  /** Builds the context of an interceptor or the selector. */
  context: (kind: MetricKind, name: string, type: string) => ComponentContext;
  /** The source's counters (the ChannelProcessor counts what it received and accepted). */
  metrics: MetricGroup;
  telemetry: Telemetry;
  logger: Logger;
  /** Receives the batch leaving the interceptor chain while it is watched (`sluice tap NAME:interceptors`). */
  tap?: TapPoint;
}

/**
 * Builds the ChannelProcessor of one source from its model with the catalog's real interceptor and
 * selector definitions. Used by the Agent (a source's `deliver`) and by the TopologyHarness
 * (`sluice test`), so a topology test runs exactly the path the agent runs.
 */
export function buildSourcePath(options: SourcePathOptions): ChannelProcessor {
  const { source, catalog, context } = options;
  const selectorCtx = { ...context('SELECTOR', source.selector.name, source.selector.type), channels: options.channels };
  const selector = requireDefinition(catalog, 'selector', source.selector).create(source.selector.config, selectorCtx) as ChannelSelector;
  const interceptors = source.interceptors.map((i) =>
    requireDefinition(catalog, 'interceptor', i).create(i.config, context('INTERCEPTOR', i.name, i.type)) as Interceptor);
  const tap = options.tap;
  // The selector sees exactly the batch the interceptor chain returned, so the tap sits in front of it.
  const routed: ChannelSelector = tap ? { route: (events) => { if (tap.watched) tap.publish(events); return selector.route(events); } } : selector;
  return new ChannelProcessor({ source: source.name, interceptors, selector: routed, metrics: options.metrics, telemetry: options.telemetry, logger: options.logger });
}

/** The catalog's definition for a component model; SLUICE_UNKNOWN_TYPE when there is none. */
export function requireDefinition(catalog: ComponentCatalog, kind: ComponentKind, model: ComponentModel): AnyComponentDefinition {
  const definition = catalog.find(kind, model.type);
  if (!definition) throw new SluiceError('SLUICE_UNKNOWN_TYPE', `no ${kind} type '${model.type}' for '${model.name}'`);
  return definition;
}
