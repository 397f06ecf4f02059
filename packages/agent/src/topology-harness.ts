import {
  DefaultSinkProcessor, MemoryChannel, MetricGroup, Telemetry, silentLogger, type Channel, type ChannelProcessor, type ComponentContext,
  type MetricKind, type NamedSink, type Sink, type SinkProcessor, type SluiceEvent, type Status, type Transaction,
} from '@sluice/core';
import type { AgentModel } from '@sluice/config';
import type { ComponentCatalog } from './component-catalog.js';
import { sinkUnits } from './reload-plan.js';
import { buildSourcePath, requireDefinition } from './source-path.js';

/**
 * One agent's routing, run in-process for `sluice test`: each source's real interceptors and
 * selector (the same {@link buildSourcePath} the Agent uses), each sink group's real processor, and
 * in place of what touches the outside world, an unbounded memory channel per channel and a
 * capturing sink per sink. No source is created, so no port is opened and nothing is read; test
 * events enter at a source's delivery path (`inject`).
 *
 * Records, per channel, every event committed to it, and per sink, every event its processor
 * handed it (`drain` runs the processors until every channel is empty; capturing sinks never fail,
 * so a failover group delivers to its highest-priority sink and load_balance spreads batches).
 */
export class TopologyHarness {
  private readonly channels = new Map<string, Channel>();
  private readonly putLog = new Map<string, SluiceEvent[]>();
  private readonly takeLog = new Map<string, SluiceEvent[]>();
  private readonly paths = new Map<string, ChannelProcessor>();
  private readonly processors: SinkProcessor[] = [];
  private readonly telemetry = new Telemetry();

  private constructor(private readonly model: AgentModel, private readonly catalog: ComponentCatalog, private readonly configDir: string) {}

  /** Builds and starts the harness of `model` (validated) with the catalog's definitions. */
  static async create(model: AgentModel, catalog: ComponentCatalog, options: { configDir?: string } = {}): Promise<TopologyHarness> {
    const harness = new TopologyHarness(model, catalog, options.configDir ?? process.cwd());
    await harness.build();
    return harness;
  }

  /** Delivers `events` as one batch through source `source`'s interceptors and selector into its channels. */
  async inject(source: string, events: SluiceEvent[]): Promise<void> {
    const path = this.paths.get(source);
    if (!path) throw new TypeError(`agent '${this.model.name}' has no source '${source}'`);
    await path.deliver(events);
  }

  /** Runs every sink processor until none has anything left to take. */
  async drain(): Promise<void> {
    for (let round = 0; round < 100_000; round++) {
      let busy = false;
      for (const processor of this.processors) if ((await processor.process()) === 'ready') busy = true;
      if (!busy) return;
    }
    throw new Error('the sink processors did not drain their channels within 100000 rounds');
  }

  /** The events committed to channel `name`, in order. */
  channelEvents(name: string): readonly SluiceEvent[] {
    return this.putLog.get(name) ?? [];
  }

  /** The events sink `name` took (after `drain`), in order. */
  sinkEvents(name: string): readonly SluiceEvent[] {
    return this.takeLog.get(name) ?? [];
  }

  async close(): Promise<void> {
    for (const processor of this.processors) await processor.stop().catch(() => undefined);
    for (const channel of this.channels.values()) await channel.stop().catch(() => undefined);
  }

  private context(kind: MetricKind, name: string, type: string): ComponentContext {
    return { agent: this.model.name, name, logger: silentLogger, metrics: new MetricGroup(kind, name, type), telemetry: this.telemetry, dataDir: this.model.dataDir, configDir: this.configDir };
  }

  private async build(): Promise<void> {
    for (const name of Object.keys(this.model.channels)) {
      const channel = new MemoryChannel({ capacity: Number.MAX_SAFE_INTEGER, transactionCapacity: Number.MAX_SAFE_INTEGER, byteCapacity: '0', keepAlive: '0' }, this.context('CHANNEL', name, 'memory'));
      await channel.start();
      this.channels.set(name, channel);
      this.putLog.set(name, []);
    }
    for (const [name, source] of Object.entries(this.model.sources)) {
      const channels = new Map(source.channels.map((c) => [c, recordingChannel(this.channels.get(c)!, this.putLog.get(c)!)] as const));
      const metrics = new MetricGroup('SOURCE', name, source.type);
      this.paths.set(name, buildSourcePath({ source, channels, catalog: this.catalog, context: (k, n, t) => this.context(k, n, t), metrics, telemetry: this.telemetry, logger: silentLogger }));
    }
    for (const unit of sinkUnits(this.model).values()) {
      const members: NamedSink[] = unit.sinks.map((name) => {
        const sink = this.model.sinks[name]!;
        const taken: SluiceEvent[] = [];
        this.takeLog.set(name, taken);
        const batchSize = typeof sink.config.batchSize === 'number' ? sink.config.batchSize : 100;
        return { name, sink: new CapturingSink(name, this.channels.get(sink.channel)!, batchSize, taken) };
      });
      let processor: SinkProcessor;
      if (unit.group === null) {
        processor = new DefaultSinkProcessor(members);
      } else {
        const group = this.model.sinkGroups[unit.group]!;
        processor = requireDefinition(this.catalog, 'processor', group.processor).create(group.processor.config, { ...this.context('SINK_PROCESSOR', group.name, group.processor.type), sinks: members }) as SinkProcessor;
      }
      await processor.start();
      this.processors.push(processor);
    }
  }
}

/** Takes batches of up to `batchSize` from its channel and keeps them; never fails. */
class CapturingSink implements Sink {
  constructor(readonly name: string, private readonly channel: Channel, private readonly batchSize: number, private readonly taken: SluiceEvent[]) {}

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  async process(): Promise<Status> {
    const tx = this.channel.transaction();
    const events = await tx.take(this.batchSize);
    await tx.commit();
    this.taken.push(...events);
    return events.length > 0 ? 'ready' : 'backoff';
  }
}

/** `channel`, except that the events of every committed put transaction are appended to `log`. */
function recordingChannel(channel: Channel, log: SluiceEvent[]): Channel {
  return {
    get name() {
      return channel.name;
    },
    start: () => channel.start(),
    stop: () => channel.stop(),
    transaction: (): Transaction => {
      const tx = channel.transaction();
      const staged: SluiceEvent[] = [];
      return {
        put: (events) => {
          tx.put(events);
          staged.push(...events);
        },
        take: (max) => tx.take(max),
        commit: async () => {
          await tx.commit();
          log.push(...staged);
        },
        rollback: () => tx.rollback(),
      };
    },
  };
}
