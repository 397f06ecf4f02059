import path from 'node:path';
import {
  ChannelProcessor, DefaultSinkProcessor, isPollable, MetricGroup, PollableSourceRunner, SinkRunner, SluiceError,
  Telemetry, silentLogger, type AnyComponentDefinition, type Channel, type ComponentContext, type ComponentKind,
  type Interceptor, type Logger, type MetricKind, type NamedSink, type SinkProcessor, type Source, type SluiceEvent,
  type ChannelSelector,
} from '@sluice/core';
import type { AgentModel, ComponentModel } from '@sluice/config';
import type { ComponentCatalog } from './component-catalog.js';

/** Options for {@link Agent}. */
export interface AgentOptions {
  logger?: Logger;
  telemetry?: Telemetry;
  /** Directory of the topology file. */
  configDir?: string;
}

/** A running source with its runner, if pollable. */
interface SourceEntry { name: string; source: Source; runner?: PollableSourceRunner }
/** A sink processor and its runner. */
interface SinkEntry { name: string; processor: SinkProcessor; runner: SinkRunner }

type State = 'new' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

/**
 * One agent built from its validated model. `start` creates and starts channels, then sink
 * processors with their runners, then sources; if anything fails to start, what was started is
 * stopped again and `start` rejects with SLUICE_COMPONENT_START naming the component.
 *
 * `stop` is the graceful drain: sources stop first (no new events), sinks keep draining their
 * channels for up to `drainTimeout`, then sinks and channels stop. Durable channels keep what was
 * not drained; the memory channel logs what it loses.
 */
export class Agent {
  readonly name: string;
  readonly telemetry: Telemetry;
  readonly logger: Logger;
  readonly channels = new Map<string, Channel>();
  readonly sources = new Map<string, SourceEntry>();
  readonly sinkProcessors = new Map<string, SinkEntry>();
  readonly sinks = new Map<string, NamedSink>();
  private readonly metricGroups: MetricGroup[] = [];
  private state: State = 'new';
  private failure: string | undefined;

  constructor(readonly model: AgentModel, private readonly catalog: ComponentCatalog, private readonly options: AgentOptions = {}) {
    this.name = model.name;
    this.logger = (options.logger ?? silentLogger).child({ agent: model.name });
    this.telemetry = options.telemetry ?? new Telemetry();
  }

  /** Every component's counters, for /metrics. */
  get metrics(): readonly MetricGroup[] {
    return this.metricGroups;
  }

  /** `running`, or why not. */
  get status(): { state: State; reason?: string } {
    return this.failure ? { state: this.state, reason: this.failure } : { state: this.state };
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new TypeError(`Agent '${this.name}' was already started (state ${this.state})`);
    this.state = 'starting';
    try {
      await this.startChannels();
      await this.startSinks();
      await this.startSources();
    } catch (error) {
      this.state = 'failed';
      this.failure = (error as Error).message;
      await this.stopAll(0).catch((err) => this.logger.error({ err }, 'cleanup after failed start also failed'));
      throw error;
    }
    this.state = 'running';
    this.logger.info({ sources: [...this.sources.keys()], channels: [...this.channels.keys()], sinks: [...this.sinks.keys()] }, 'agent started');
  }

  /** Graceful stop: sources, then a bounded sink drain, then channels. Idempotent. */
  async stop(drainTimeoutMs = this.model.drainTimeoutMs): Promise<void> {
    if (this.state === 'stopping' || this.state === 'stopped' || this.state === 'new') return;
    this.state = 'stopping';
    await this.stopAll(drainTimeoutMs);
    this.state = 'stopped';
    this.logger.info('agent stopped');
  }

  private async stopAll(drainTimeoutMs: number): Promise<void> {
    for (const entry of this.sources.values()) {
      await entry.runner?.stop();
      await this.guard('source', entry.name, () => entry.source.stop());
    }
    await Promise.all([...this.sinkProcessors.values()].map((entry) => entry.runner.stop(drainTimeoutMs)));
    for (const entry of this.sinkProcessors.values()) await this.guard('sink', entry.name, () => entry.processor.stop());
    for (const [name, channel] of this.channels) await this.guard('channel', name, () => channel.stop());
  }

  private async guard(kind: string, name: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (err) {
      this.logger.error({ err, component: name, kind }, `${kind} failed to stop cleanly`);
    }
  }

  private context(kind: MetricKind, name: string, type: string): ComponentContext {
    const metrics = new MetricGroup(kind, name, type);
    if (kind === 'SOURCE' || kind === 'CHANNEL' || kind === 'SINK') this.metricGroups.push(metrics);
    return {
      agent: this.name,
      name,
      logger: this.logger.child({ component: name, type }),
      metrics,
      telemetry: this.telemetry,
      dataDir: path.resolve(this.model.dataDir, name),
      configDir: this.options.configDir ?? process.cwd(),
    };
  }

  private definition(kind: ComponentKind, model: ComponentModel): AnyComponentDefinition {
    const definition = this.catalog.find(kind, model.type);
    if (!definition) throw new SluiceError('SLUICE_UNKNOWN_TYPE', `no ${kind} type '${model.type}' for '${model.name}'`);
    return definition;
  }

  private async startComponent(kind: string, name: string, start: () => Promise<void>): Promise<void> {
    try {
      await start();
    } catch (cause) {
      throw new SluiceError('SLUICE_COMPONENT_START', `${kind} '${name}' failed to start: ${(cause as Error).message}`, { cause, details: { component: name } });
    }
  }

  private async startChannels(): Promise<void> {
    for (const model of Object.values(this.model.channels)) {
      const channel = this.definition('channel', model).create(model.config, this.context('CHANNEL', model.name, model.type)) as Channel;
      this.channels.set(model.name, channel);
      await this.startComponent('channel', model.name, () => channel.start());
    }
  }

  private async startSinks(): Promise<void> {
    for (const model of Object.values(this.model.sinks)) {
      const channel = this.channels.get(model.channel)!;
      const ctx = { ...this.context('SINK', model.name, model.type), channel };
      const sink = this.definition('sink', model).create(model.config, ctx) as NamedSink['sink'];
      this.sinks.set(model.name, { name: model.name, sink });
    }
    const grouped = new Set<string>();
    for (const group of Object.values(this.model.sinkGroups)) {
      const members = group.sinks.map((name) => this.sinks.get(name)!);
      group.sinks.forEach((name) => grouped.add(name));
      const ctx = { ...this.context('SINK_PROCESSOR', group.name, group.processor.type), sinks: members };
      const processor = this.definition('processor', group.processor).create(group.processor.config, ctx) as SinkProcessor;
      await this.runProcessor(group.name, processor, members.map((m) => this.model.sinks[m.name]!.channel));
    }
    for (const [name, member] of this.sinks) {
      if (grouped.has(name)) continue;
      await this.runProcessor(name, new DefaultSinkProcessor([member]), [this.model.sinks[name]!.channel]);
    }
  }

  private async runProcessor(name: string, processor: SinkProcessor, channelNames: string[]): Promise<void> {
    const runner = new SinkRunner(processor, {
      logger: this.logger.child({ component: name }),
      telemetry: this.telemetry,
      channels: channelNames.map((c) => this.channels.get(c)!),
    });
    this.sinkProcessors.set(name, { name, processor, runner });
    await this.startComponent('sink', name, () => processor.start());
    runner.start();
  }

  private async startSources(): Promise<void> {
    for (const model of Object.values(this.model.sources)) {
      const channels = new Map(model.channels.map((name) => [name, this.channels.get(name)!] as const));
      const selectorCtx = { ...this.context('SELECTOR', model.selector.name, model.selector.type), channels };
      const selector = this.definition('selector', model.selector).create(model.selector.config, selectorCtx) as ChannelSelector;
      const interceptors = model.interceptors.map((i) =>
        this.definition('interceptor', i).create(i.config, this.context('INTERCEPTOR', i.name, i.type)) as Interceptor);
      const base = this.context('SOURCE', model.name, model.type);
      const processor = new ChannelProcessor({ source: model.name, interceptors, selector, metrics: base.metrics, telemetry: this.telemetry, logger: base.logger });
      const ctx = { ...base, deliver: (events: SluiceEvent[]) => processor.deliver(events) };
      const source = this.definition('source', model).create(model.config, ctx) as Source;
      const entry: SourceEntry = { name: model.name, source };
      this.sources.set(model.name, entry);
      await this.startComponent('source', model.name, () => source.start());
      if (isPollable(source)) {
        entry.runner = new PollableSourceRunner(source, { logger: base.logger, telemetry: this.telemetry });
        entry.runner.start();
      }
    }
  }
}
