import type { ByteBudget } from './byte-budget.js';
import type { Channel } from './channel.js';
import type { SluiceEvent } from './event.js';
import { silentLogger, type Logger } from './logger.js';
import { MetricGroup, type MetricKind } from './metrics.js';
import type { NamedSink } from './sink-processor.js';
import { Telemetry } from './telemetry.js';

/** Services the agent injects into every component it creates. */
export interface ComponentContext {
  /** The agent's name (`-n`). */
  readonly agent: string;
  /** The component's name in the topology. */
  readonly name: string;
  /** A logger bound to this component. */
  readonly logger: Logger;
  /** This component's counters, reported at /metrics. */
  readonly metrics: MetricGroup;
  /** The agent-wide telemetry stream. */
  readonly telemetry: Telemetry;
  /** A directory this component may use for state (created on demand by the component). */
  readonly dataDir: string;
  /** The directory of the topology file; resolve relative paths in config against process.cwd(). */
  readonly configDir: string;
  /**
   * Set by the agent only when it runs as one of several worker processes (`workers: N` with N > 1):
   * this process's index (0 to count - 1, kept across restarts of the worker) and the count.
   * Components that name files or objects include the index so two workers never write the same one.
   */
  readonly worker?: { readonly index: number; readonly count: number };
}

/** Context of a source: `deliver` runs the interceptors and selector and commits to the channels. */
export interface SourceContext extends ComponentContext {
  /**
   * Delivers one batch. Resolves once every required channel committed it; rejects with a
   * SluiceError (SLUICE_CHANNEL_FULL is retriable) otherwise, in which case nothing was committed
   * to the failing channel and the source must retry or refuse the batch to its client.
   */
  deliver(events: SluiceEvent[]): Promise<void>;
  /**
   * The agent-wide budget of input bytes read but not yet committed (the agent's `maxPendingBytes`),
   * shared by every source. Network sources make their own budget a child of it, reserve as they
   * read and release once committed or refused; absent outside an agent (tests), meaning no limit.
   */
  readonly inputBudget?: ByteBudget;
}

/** Context of a sink: the channel it drains, and where rejected events go (`deadLetter`). */
export interface SinkContext extends ComponentContext {
  readonly channel: Channel;
  /** Set by the agent when the sink's topology entry has `deadLetter: { channel, after }`. */
  readonly deadLetter?: DeadLetterTarget;
}

/**
 * Where a sink moves events that failed `after` consecutive deliveries for non-retriable reasons
 * (errors whose `retriable` is false, e.g. an HTTP 400). BatchSink reads it; the agent sets it.
 */
export interface DeadLetterTarget {
  readonly name: string;
  readonly channel: Channel;
  readonly after: number;
}

/**
 * Context of a stage (see {@link Stage}): its input channel, and `emit` to commit results into its
 * output channels. Built by the agent from the stage's topology entry.
 */
export interface StageContext extends ComponentContext {
  /** The channel the stage takes from (its StageRunner takes; the stage does not). */
  readonly channel: Channel;
  /** The output channels, by name, in topology order. */
  readonly outputs: ReadonlyMap<string, Channel>;
  /**
   * Puts `events` into every output channel, one transaction per channel, and resolves when all
   * committed. Rejects with the first failure (SLUICE_CHANNEL_FULL is retriable); channels that
   * committed before the failure keep the events, so a retry may duplicate them there.
   */
  emit(events: readonly SluiceEvent[]): Promise<void>;
  /** Where records the stage cannot use go (set when the topology names `deadLetter`). */
  readonly deadLetter?: { readonly name: string; readonly channel: Channel };
}

/** Context of a channel selector: the source's channels by name, in topology order. */
export interface SelectorContext extends ComponentContext {
  readonly channels: ReadonlyMap<string, Channel>;
}

/** Context of a sink processor: the group's sinks in topology order. */
export interface ProcessorContext extends ComponentContext {
  readonly sinks: readonly NamedSink[];
}

/** Options for {@link createComponentContext}. */
export interface ContextOptions {
  agent?: string;
  name: string;
  kind: MetricKind;
  type?: string;
  logger?: Logger;
  telemetry?: Telemetry;
  dataDir?: string;
  configDir?: string;
}

/** Builds a context for a component outside an agent (tests, the testkit, embedding). */
export function createComponentContext(options: ContextOptions): ComponentContext {
  const logger = options.logger ?? silentLogger;
  return {
    agent: options.agent ?? 'test',
    name: options.name,
    logger: logger.child({ component: options.name }),
    metrics: new MetricGroup(options.kind, options.name, options.type ?? ''),
    telemetry: options.telemetry ?? new Telemetry(),
    dataDir: options.dataDir ?? process.cwd(),
    configDir: options.configDir ?? process.cwd(),
  };
}
