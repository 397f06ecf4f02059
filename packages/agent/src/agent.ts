import path from 'node:path';
import {
  DefaultSinkProcessor, isPollable, isTlsReloadable, MetricGroup, PollableSourceRunner, SinkRunner, SluiceError,
  StageRunner, createStageEmit, parseDuration, type Stage, type StageContext,
  Telemetry, silentLogger, type AnyComponentDefinition, type Channel, type ChannelProcessor, type ComponentContext, type ComponentKind,
  type Logger, type MetricKind, type NamedSink, type SinkContext, type SinkProcessor, type Source, type SluiceEvent,
  ByteBudget,
} from '@sluice/core';
import type { AgentModel, ComponentModel } from '@sluice/config';
import type { ComponentCatalog } from './component-catalog.js';
import { isEmptyPlan, planReload, sinkUnits, type ReloadPlan } from './reload-plan.js';
import { buildSourcePath, requireDefinition } from './source-path.js';
import { TapHub, type TapPoint, type TapPointKind } from './tap/tap-hub.js';
import { tappedChannel } from './tap/tapped-channel.js';

/** Options for {@link Agent}. */
export interface AgentOptions {
  logger?: Logger;
  telemetry?: Telemetry;
  /** Directory of the topology file. */
  configDir?: string;
  /** Set when this agent is one worker of several (`workers: N`); components see it as `ctx.worker`. */
  worker?: { index: number; count: number };
}

/** A running source with its runner, if pollable, and the ChannelProcessor its `deliver` uses. */
interface SourceEntry { name: string; source: Source; runner?: PollableSourceRunner; processor: ChannelProcessor; metrics: MetricGroup }
/** A running stage and its runner. */
interface StageEntry { name: string; stage: Stage; runner: StageRunner }
/** A sink processor (a group, or a lone sink's default processor) and its runner. */
interface SinkEntry { name: string; processor: SinkProcessor; runner: SinkRunner; members: string[] }

type State = 'new' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

/** What {@link Agent.reload} did. */
export interface ReloadResult {
  /** Components restarted (stopped and started again), added or removed, by kind. */
  plan: ReloadPlan;
  /** Components that failed to start again; the agent reports them at /health until the next reload. */
  failed: { name: string; error: string }[];
}

/**
 * One agent built from its validated model. `start` creates and starts channels, then sink
 * processors with their runners, then stages with theirs, then sources; if anything fails to
 * start, what was started is stopped again and `start` rejects with SLUICE_COMPONENT_START naming
 * the component.
 *
 * `stop` is the graceful drain: sources stop first (no new events), stages drain their input and
 * stop (checkpointing their state), sinks keep draining their channels for what is left of
 * `drainTimeout`, then sinks and channels stop. Durable channels keep what was not drained; the
 * memory channel logs what it loses.
 *
 * `reload` swaps in a new model of the same agent and restarts only what changed (see
 * {@link planReload}); unchanged channels keep their events, unchanged sources keep their sockets.
 */
export class Agent {
  readonly name: string;
  readonly telemetry: Telemetry;
  readonly logger: Logger;
  readonly channels = new Map<string, Channel>();
  readonly sources = new Map<string, SourceEntry>();
  readonly sinkProcessors = new Map<string, SinkEntry>();
  readonly sinks = new Map<string, NamedSink>();
  /**
   * Where `sluice tap` (through the monitoring server's /tap) attaches: each source's output and
   * interceptor-chain output, each sink's input. Hooks cost one boolean check per batch while untapped.
   */
  readonly taps = new TapHub();
  readonly stages = new Map<string, StageEntry>();
  private readonly metricGroups = new Map<string, MetricGroup>();
  private readonly componentFailures = new Map<string, string>();
  private current: AgentModel;
  /** The agent-wide budget of input bytes not yet committed (`maxPendingBytes`), given to every source. */
  readonly inputBudget: ByteBudget;
  private state: State = 'new';
  private failure: string | undefined;
  private reloading: Promise<unknown> = Promise.resolve();

  constructor(model: AgentModel, private catalog: ComponentCatalog, private readonly options: AgentOptions = {}) {
    this.current = model;
    this.inputBudget = new ByteBudget(model.maxPendingBytes);
    this.name = model.name;
    this.logger = (options.logger ?? silentLogger).child({ agent: model.name });
    this.telemetry = options.telemetry ?? new Telemetry();
  }

  /** The model the agent runs now (replaced by a successful reload). */
  get model(): AgentModel {
    return this.current;
  }

  /** Every source, channel and sink's counters, for /metrics. */
  get metrics(): readonly MetricGroup[] {
    return [...this.metricGroups.values()];
  }

  /** `running`, or why not; `components` lists components that failed to restart on a reload. */
  get status(): { state: State; reason?: string; components?: Record<string, string> } {
    const out: { state: State; reason?: string; components?: Record<string, string> } = { state: this.state };
    if (this.failure) out.reason = this.failure;
    if (this.componentFailures.size > 0) out.components = Object.fromEntries(this.componentFailures);
    return out;
  }

  /** True when the agent runs and every component started. */
  get healthy(): boolean {
    return this.state === 'running' && this.componentFailures.size === 0;
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new TypeError(`Agent '${this.name}' was already started (state ${this.state})`);
    this.state = 'starting';
    try {
      for (const name of Object.keys(this.current.channels)) await this.startChannel(name);
      for (const unit of sinkUnits(this.current).keys()) await this.startSinkUnit(unit);
      for (const name of Object.keys(this.current.stages)) await this.startStage(name);
      for (const name of Object.keys(this.current.sources)) await this.startSource(name);
    } catch (error) {
      this.state = 'failed';
      this.failure = (error as Error).message;
      await this.stopAll(0).catch((err) => this.logger.error({ err }, 'cleanup after failed start also failed'));
      throw error;
    }
    this.state = 'running';
    this.logger.info({ sources: [...this.sources.keys()], channels: [...this.channels.keys()], sinks: [...this.sinks.keys()], stages: [...this.stages.keys()] }, 'agent started');
  }

  /** Graceful stop: sources, then a bounded sink drain, then channels. Idempotent. */
  async stop(drainTimeoutMs = this.current.drainTimeoutMs): Promise<void> {
    if (this.state === 'stopping' || this.state === 'stopped' || this.state === 'new') return;
    await this.reloading;
    this.state = 'stopping';
    await this.stopAll(drainTimeoutMs);
    this.state = 'stopped';
    this.logger.info('agent stopped');
  }

  /**
   * Replaces the running model with `next` (already validated, same agent name) and restarts only
   * the components that changed and those that depend on them: sources that changed or write to a
   * changed channel stop first; sink units that changed or drain a changed channel stop next (a
   * sink whose channel is being replaced first drains it for up to drainTimeout); changed channels
   * stop; then changed channels, sink units and sources start, in that order. Unchanged channels
   * keep their events and open transactions; unchanged sources keep their ports open, and a source
   * whose only change is its interceptors or selector keeps running with the new chain (rewired).
   *
   * Reloads are serialized. A component that fails to start is logged and reported by `status`
   * and `healthy` until a later reload starts it; the rest of the agent keeps running.
   */
  reload(next: AgentModel, catalog: ComponentCatalog = this.catalog): Promise<ReloadResult> {
    const run = this.reloading.then(() => this.applyReload(next, catalog));
    this.reloading = run.catch(() => undefined);
    return run;
  }

  /**
   * Asks every running source that serves TLS ({@link TlsReloadable}) to re-read its certificate
   * files, serialized with reloads; new connections get the new certificate, open ones keep theirs.
   * A component whose new files are bad logs the error and keeps its certificate. Resolves with
   * the components that applied new files and those that kept the old ones.
   */
  reloadTls(): Promise<{ reloaded: string[]; failed: string[] }> {
    const run = this.reloading.then(async () => {
      const result = { reloaded: [] as string[], failed: [] as string[] };
      if (this.state !== 'running') return result;
      for (const [name, entry] of this.sources) {
        if (!isTlsReloadable(entry.source)) continue;
        const outcome = await entry.source.reloadTls();
        if (outcome === 'reloaded') result.reloaded.push(name);
        else if (outcome === 'kept') result.failed.push(name);
      }
      return result;
    });
    this.reloading = run.catch(() => undefined);
    return run;
  }

  private async applyReload(next: AgentModel, catalog: ComponentCatalog): Promise<ReloadResult> {
    if (this.state !== 'running') throw new TypeError(`Agent '${this.name}' can only reload while running (state ${this.state})`);
    if (next.name !== this.name) throw new TypeError(`reload of agent '${this.name}' got a model for '${next.name}'`);
    const plan = planReload(this.current, next);
    this.retryFailed(plan, next);
    const failed: ReloadResult['failed'] = [];
    if (isEmptyPlan(plan)) {
      this.current = next;
      this.inputBudget.limit = next.maxPendingBytes;
      this.logger.info('reload: nothing changed');
      return { plan, failed };
    }
    this.logger.info({ plan }, 'reload: restarting what changed');
    const channelsToStop = new Set(plan.stopChannels);
    for (const name of plan.stopSources) await this.stopSource(name);
    for (const name of plan.stopStages) {
      const input = this.current.stages[name]?.channel ?? '';
      await this.stopStage(name, channelsToStop.has(input) ? this.current.drainTimeoutMs : 0);
    }
    for (const name of plan.stopSinkUnits) {
      const entry = this.sinkProcessors.get(name);
      const drains = entry?.members.some((m) => channelsToStop.has(this.current.sinks[m]?.channel ?? '')) ?? false;
      await this.stopSinkUnit(name, drains ? this.current.drainTimeoutMs : 0);
    }
    for (const name of plan.stopChannels) await this.stopChannel(name);
    this.current = next;
    this.catalog = catalog;
    const attempt = async (name: string, start: () => Promise<void>): Promise<void> => {
      this.componentFailures.delete(name);
      try {
        await start();
      } catch (error) {
        const message = (error as Error).message;
        this.componentFailures.set(name, message);
        failed.push({ name, error: message });
        this.logger.error({ err: error, component: name }, 'reload: component failed to start; fix the file and reload again');
      }
    };
    for (const name of plan.startChannels) await attempt(name, () => this.startChannel(name));
    for (const name of plan.startSinkUnits) await attempt(name, () => this.startSinkUnit(name));
    for (const name of plan.startStages) await attempt(name, () => this.startStage(name));
    for (const name of plan.startSources) await attempt(name, () => this.startSource(name));
    for (const name of plan.rewireSources) await attempt(name, async () => this.rewireSource(name));
    for (const name of [...this.componentFailures.keys()]) if (!this.existsIn(next, name)) this.componentFailures.delete(name);
    this.logger.info({ restarted: { sources: plan.startSources, sinks: plan.startSinkUnits, stages: plan.startStages, channels: plan.startChannels }, rewired: plan.rewireSources, failed: failed.length }, 'reload finished');
    return { plan, failed };
  }

  /** Components that failed to start on an earlier reload are retried even when unchanged. */
  private retryFailed(plan: ReloadPlan, next: AgentModel): void {
    const units = sinkUnits(next);
    for (const name of this.componentFailures.keys()) {
      const [stop, start] = name in next.sources ? [plan.stopSources, plan.startSources]
        : name in next.stages ? [plan.stopStages, plan.startStages]
        : units.has(name) ? [plan.stopSinkUnits, plan.startSinkUnits]
          : name in next.channels ? [plan.stopChannels, plan.startChannels] : [undefined, undefined];
      if (!stop || !start || start.includes(name)) continue;
      stop.push(name);
      start.push(name);
    }
  }

  private existsIn(model: AgentModel, name: string): boolean {
    return name in model.sources || name in model.channels || name in model.stages || sinkUnits(model).has(name);
  }

  private async stopAll(drainTimeoutMs: number): Promise<void> {
    for (const name of [...this.sources.keys()]) await this.stopSource(name);
    const started = Date.now();
    for (const name of [...this.stages.keys()]) await this.stopStage(name, Math.max(0, drainTimeoutMs - (Date.now() - started)));
    const entries = [...this.sinkProcessors.values()];
    await Promise.all(entries.map((entry) => entry.runner.stop(Math.max(0, drainTimeoutMs - (Date.now() - started)))));
    for (const entry of entries) await this.stopSinkUnit(entry.name, 0);
    for (const name of [...this.channels.keys()]) await this.stopChannel(name);
  }

  private async stopSource(name: string): Promise<void> {
    const entry = this.sources.get(name);
    if (!entry) return;
    await entry.runner?.stop();
    await this.guard('source', name, () => entry.source.stop());
    this.sources.delete(name);
    this.metricGroups.delete(`SOURCE.${name}`);
  }

  private async stopStage(name: string, drainMs: number): Promise<void> {
    const entry = this.stages.get(name);
    if (!entry) return;
    await entry.runner.stop(drainMs);
    await this.guard('stage', name, () => entry.stage.stop());
    this.stages.delete(name);
    this.metricGroups.delete(`STAGE.${name}`);
  }

  private async stopSinkUnit(name: string, drainMs: number): Promise<void> {
    const entry = this.sinkProcessors.get(name);
    if (!entry) return;
    await entry.runner.stop(drainMs);
    await this.guard('sink', name, () => entry.processor.stop());
    this.sinkProcessors.delete(name);
    for (const member of entry.members) {
      this.sinks.delete(member);
      this.metricGroups.delete(`SINK.${member}`);
    }
  }

  private async stopChannel(name: string): Promise<void> {
    const channel = this.channels.get(name);
    if (!channel) return;
    await this.guard('channel', name, () => channel.stop());
    this.channels.delete(name);
    this.metricGroups.delete(`CHANNEL.${name}`);
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
    if (kind === 'SOURCE' || kind === 'CHANNEL' || kind === 'SINK' || kind === 'STAGE') this.metricGroups.set(`${kind}.${name}`, metrics);
    return {
      agent: this.name,
      name,
      logger: this.logger.child({ component: name, type }),
      metrics,
      telemetry: this.telemetry,
      dataDir: path.resolve(this.current.dataDir, name),
      configDir: this.options.configDir ?? process.cwd(),
      ...(this.options.worker ? { worker: this.options.worker } : {}),
    };
  }

  /** The tap points of the running model: `source` and `interceptors` per source, `sink` per sink. */
  tapPoints(): TapPoint[] {
    const points: TapPoint[] = [];
    for (const name of Object.keys(this.current.sources)) points.push(this.taps.point('source', name), this.taps.point('interceptors', name));
    for (const name of Object.keys(this.current.sinks)) points.push(this.taps.point('sink', name));
    return points;
  }

  /** The tap point of a component of the running model, or undefined when it has no such point. */
  tapPoint(kind: TapPointKind, component: string): TapPoint | undefined {
    return this.tapPoints().find((p) => p.kind === kind && p.component === component);
  }

  private definition(kind: ComponentKind, model: ComponentModel): AnyComponentDefinition {
    return requireDefinition(this.catalog, kind, model);
  }

  private async startComponent(kind: string, name: string, start: () => Promise<void>): Promise<void> {
    try {
      await start();
    } catch (cause) {
      throw new SluiceError('SLUICE_COMPONENT_START', `${kind} '${name}' failed to start: ${(cause as Error).message}`, { cause, details: { component: name } });
    }
  }

  private async startChannel(name: string): Promise<void> {
    const model = this.current.channels[name]!;
    const channel = this.definition('channel', model).create(model.config, this.context('CHANNEL', model.name, model.type)) as Channel;
    this.channels.set(model.name, channel);
    await this.startComponent('channel', model.name, () => channel.start());
  }

  private createSink(name: string): NamedSink {
    const model = this.current.sinks[name]!;
    const channel = this.requireChannel(model.channel, name);
    const base = { ...this.context('SINK', model.name, model.type), channel: tappedChannel(channel, this.taps.point('sink', model.name)) };
    const ctx: SinkContext = model.deadLetter
      ? { ...base, deadLetter: { name: model.deadLetter.channel, channel: this.requireChannel(model.deadLetter.channel, name), after: model.deadLetter.after } }
      : base;
    const sink = this.definition('sink', model).create(model.config, ctx) as NamedSink['sink'];
    const named = { name: model.name, sink };
    this.sinks.set(model.name, named);
    return named;
  }

  private requireChannel(name: string, user: string): Channel {
    const channel = this.channels.get(name);
    if (!channel) throw new SluiceError('SLUICE_COMPONENT_START', `'${user}' needs channel '${name}', which is not running`);
    return channel;
  }

  private async startSinkUnit(name: string): Promise<void> {
    const unit = sinkUnits(this.current).get(name)!;
    const members = unit.sinks.map((s) => this.createSink(s));
    let processor: SinkProcessor;
    if (unit.group === null) {
      processor = new DefaultSinkProcessor(members);
    } else {
      const group = this.current.sinkGroups[unit.group]!;
      const ctx = { ...this.context('SINK_PROCESSOR', group.name, group.processor.type), sinks: members };
      processor = this.definition('processor', group.processor).create(group.processor.config, ctx) as SinkProcessor;
    }
    const channels = [...new Set(unit.sinks.map((s) => this.current.sinks[s]!.channel))].map((c) => this.channels.get(c)!);
    const runner = new SinkRunner(processor, { logger: this.logger.child({ component: name }), telemetry: this.telemetry, channels });
    this.sinkProcessors.set(name, { name, processor, runner, members: unit.sinks });
    await this.startComponent('sink', name, () => processor.start());
    runner.start();
  }

  private async startStage(name: string): Promise<void> {
    const model = this.current.stages[name]!;
    const channel = this.requireChannel(model.channel, name);
    const outputs = new Map(model.channels.map((c) => [c, this.requireChannel(c, name)] as const));
    const batchSize = typeof model.config.batchSize === 'number' ? model.config.batchSize : 100;
    const base = this.context('STAGE', model.name, model.type);
    const ctx: StageContext = {
      ...base,
      channel,
      outputs,
      emit: createStageEmit(outputs, batchSize),
      ...(model.deadLetter ? { deadLetter: { name: model.deadLetter.channel, channel: this.requireChannel(model.deadLetter.channel, name) } } : {}),
    };
    const stage = this.definition('stage', model).create(model.config, ctx) as Stage;
    const tickMs = typeof model.config.tick === 'string' ? parseDuration(model.config.tick) : 100;
    const runner = new StageRunner(stage, { name, channel, logger: base.logger, telemetry: this.telemetry, metrics: base.metrics, batchSize, tickMs });
    this.stages.set(name, { name, stage, runner });
    await this.startComponent('stage', model.name, () => stage.start());
    runner.start();
  }

  /** The interceptors -> selector -> channels path of one source, built from the current model. */
  private channelProcessor(name: string, metrics: MetricGroup, logger: Logger): ChannelProcessor {
    const model = this.current.sources[name]!;
    const channels = new Map(model.channels.map((c) => [c, this.requireChannel(c, name)] as const));
    return buildSourcePath({
      source: model, channels, catalog: this.catalog, context: (kind, n, type) => this.context(kind, n, type),
      metrics, telemetry: this.telemetry, logger, tap: this.taps.point('interceptors', name),
    });
  }

  /** Swaps a running source's interceptors and selector; batches already in `deliver` finish on the old ones. */
  private rewireSource(name: string): void {
    const entry = this.sources.get(name);
    if (!entry) throw new SluiceError('SLUICE_COMPONENT_START', `source '${name}' is not running, so it cannot be rewired`);
    entry.processor = this.channelProcessor(name, entry.metrics, this.logger.child({ component: name }));
  }

  private async startSource(name: string): Promise<void> {
    const model = this.current.sources[name]!;
    const base = this.context('SOURCE', model.name, model.type);
    const processor = this.channelProcessor(name, base.metrics, base.logger);
    // `deliver` reads entry.processor on every batch, so a rewire takes effect on the next batch.
    const tap = this.taps.point('source', name);
    const ctx = {
      ...base,
      inputBudget: this.inputBudget,
      deliver: (events: SluiceEvent[]) => {
        if (tap.watched) tap.publish(events);
        return entry.processor.deliver(events);
      },
    };
    const source = this.definition('source', model).create(model.config, ctx) as Source;
    const entry: SourceEntry = { name: model.name, source, processor, metrics: base.metrics };
    this.sources.set(model.name, entry);
    await this.startComponent('source', model.name, () => source.start());
    if (isPollable(source)) {
      entry.runner = new PollableSourceRunner(source, { logger: base.logger, telemetry: this.telemetry });
      entry.runner.start();
    }
  }
}
