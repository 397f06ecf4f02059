/**
 * The validated, frozen topology the agent runs. Every component config has its schema defaults
 * applied; names are unique per kind; every reference (channel, sink, dead-letter channel) exists.
 */
export interface TopologyModel {
  readonly plugins: readonly string[];
  readonly agents: Readonly<Record<string, AgentModel>>;
  readonly monitoring: MonitoringModel;
  /** Absolute path of the topology file, when loaded from one. */
  readonly file?: string;
  /** Directory relative plugin paths resolve against. */
  readonly baseDir: string;
}

/** `monitoring:` in the topology; `http` is absent when the monitoring server is off. */
export interface MonitoringModel {
  /**
   * `tap`: serve `GET /tap` (live event samples for `sluice tap`); off unless set to true.
   * `token`: when set, every route but `/health` needs `Authorization: Bearer <token>`.
   */
  readonly http?: { readonly port: number; readonly host: string; readonly tap: boolean; readonly token?: string };
}

/** One agent: its components and shutdown tuning. */
export interface AgentModel {
  readonly name: string;
  /** How long sinks may keep draining their channels on stop (ms). */
  readonly drainTimeoutMs: number;
  /** Directory for component state (relative paths resolved against the working directory). */
  readonly dataDir: string;
  /**
   * Worker processes running this agent's pipeline (`workers:`; `auto` is resolved to the core
   * count). 1 is the plain single-process agent; with more, `sluice agent` supervises the workers
   * (see docs/workers.md).
   */
  readonly workers: number;
  /**
   * `maxPendingBytes:`: most bytes of input all sources together hold before committing it (request
   * bodies, partial frames); a source past it refuses with its protocol's busy answer. 0: no limit.
   */
  readonly maxPendingBytes: number;
  readonly sources: Readonly<Record<string, SourceModel>>;
  readonly channels: Readonly<Record<string, ChannelModel>>;
  readonly sinks: Readonly<Record<string, SinkModel>>;
  readonly sinkGroups: Readonly<Record<string, SinkGroupModel>>;
  /** Stages (`stages:`): take from one channel, put results into others. */
  readonly stages: Readonly<Record<string, StageModel>>;
}

/** A typed component entry with its validated config. */
export interface ComponentModel {
  readonly name: string;
  readonly type: string;
  readonly config: Readonly<Record<string, unknown>>;
}

export interface SourceModel extends ComponentModel {
  readonly channels: readonly string[];
  readonly interceptors: readonly ComponentModel[];
  readonly selector: ComponentModel;
}

export type ChannelModel = ComponentModel;

export interface SinkModel extends ComponentModel {
  readonly channel: string;
  /** Where events that failed `after` deliveries for non-retriable reasons go. */
  readonly deadLetter?: { readonly channel: string; readonly after: number };
}

export interface SinkGroupModel {
  readonly name: string;
  readonly sinks: readonly string[];
  readonly processor: ComponentModel;
}

/** A stage: its input channel, its output channels, and where records it cannot use go. */
export interface StageModel extends ComponentModel {
  readonly channel: string;
  readonly channels: readonly string[];
  readonly deadLetter?: { readonly channel: string };
}
