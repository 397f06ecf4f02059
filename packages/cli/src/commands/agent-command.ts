import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { readTopology, ConfigError, formatProblem } from '@sluice/config';
import { Agent, connectToPrimary, loadTopology, modelForWorker, MonitoringServer, WorkerConnectionBroker, workerIdentity, type WorkerIdentity } from '@sluice/agent';
import { createLogger, setConnectionBroker, SluiceError, type Logger } from '@sluice/core';
import { runAgentWorkers, warnStrandedStores } from './agent-workers.js';
import { writeConfigProblems } from './report-load-failure.js';

/** Options of `sluice agent`. */
export interface AgentCommandOptions {
  file: string;
  name: string | undefined;
  logLevel: string;
  err: NodeJS.WritableStream;
  /** Reload when the topology file changes (besides SIGHUP). */
  watch?: boolean;
  /** Warnings (what Flume tolerates in a .properties file) count as errors. */
  strict?: boolean;
}

/**
 * `sluice agent -f FILE -n NAME [--watch]`: validates, starts the agent and its monitoring server
 * (when `monitoring.http` is set), and on SIGTERM/SIGINT stops it gracefully (sources, bounded
 * drain, channels) and resolves 0. A second signal exits at once. SIGHUP (and, with `--watch`, a
 * change of the file's content) reloads: the new file is validated first and an invalid file
 * changes nothing; then only changed components and their dependents restart. SIGHUP also makes
 * every TLS listener re-read its certificate files for new connections (see `Agent.reloadTls`).
 *
 * With `workers: N` (N > 1) this process becomes the primary (see {@link runAgentWorkers}); the
 * workers it forks run this same command, recognise themselves by their environment
 * (`workerIdentity`), run their share of the pipeline (`modelForWorker`), serve no monitoring of
 * their own and answer the primary over IPC.
 */
export async function agentCommand(options: AgentCommandOptions): Promise<number> {
  // In a worker process forked by a multi-worker agent's primary: which one (see runAgentWorkers).
  const identity = workerIdentity();
  const baseLogger = createLogger({ level: options.logLevel });
  const logger = identity ? baseLogger.child({ worker: identity.index }) : baseLogger;
  let agent: Agent;
  let name: string;
  let monitoringHttp: { port: number; host: string } | undefined;
  let monitoringInFile: unknown;
  // A stop asked for while the agent starts is kept and honoured once it has started: the
  // 'agent started' line is out a moment before the handlers below are in. A second one exits.
  let earlySignal: NodeJS.Signals | undefined;
  let broker: WorkerConnectionBroker | undefined;
  const noteEarlySignal = (signal: NodeJS.Signals): void => {
    if (earlySignal !== undefined) process.exit(1);
    earlySignal = signal;
  };
  const forgetEarlySignals = (): void => {
    process.off('SIGINT', noteEarlySignal);
    process.off('SIGTERM', noteEarlySignal);
  };
  try {
    const raw = await readTopology(options.file);
    const names = Object.keys(((raw.data as { agents?: object } | undefined)?.agents) ?? {});
    const chosen = options.name ?? (names.length === 1 ? names[0] : undefined);
    if (chosen === undefined) {
      options.err.write(`${options.file} defines ${names.length} agents (${names.join(', ')}); choose one with -n NAME\n`);
      return 1;
    }
    name = chosen;
    const { model, catalog, warnings } = await loadTopology(raw, { agent: name, ...(options.strict ? { strict: true } : {}) });
    // Once, at start: what Flume would have ignored silently (a reload logs its own); the primary of a multi-worker agent says it for all.
    if (!identity) for (const warning of warnings) logger.warn({ path: warning.path, key: warning.key, hint: warning.hint }, `topology: ${formatProblem(warning)}`);
    const agentModel = model.agents[name]!;
    if (!identity) warnStrandedStores(agentModel, logger);
    if (agentModel.workers > 1 && !identity) {
      return await runAgentWorkers({ file: options.file, name, logLevel: options.logLevel, watch: options.watch === true, model: agentModel, catalog, monitoring: model.monitoring.http, logger });
    }
    // The primary serves monitoring for all workers; a worker runs its share of the pipeline.
    monitoringInFile = model.monitoring.http;
    monitoringHttp = identity ? undefined : model.monitoring.http;
    process.on('SIGINT', noteEarlySignal);
    process.on('SIGTERM', noteEarlySignal);
    // A worker's TCP sources listen through the primary, which balances connections over the workers.
    if (identity) setConnectionBroker(broker = new WorkerConnectionBroker().attach());
    agent = new Agent(identity ? modelForWorker(agentModel, catalog, identity.index) : agentModel, catalog, { logger, configDir: model.baseDir, ...(identity ? { worker: identity } : {}) });
    await agent.start();
  } catch (error) {
    forgetEarlySignals();
    // A worker that failed must exit (its IPC channel would keep it alive); the primary sees it.
    if (identity) process.disconnect?.();
    return reportStartFailure(error, options, logger);
  }
  // Signal handlers go in before any further await: a signal right after 'agent started' must drain.
  const reloader = new Reloader(options.file, name, agent, logger, { ...(monitoringInFile ? { http: monitoringInFile } : {}) }, options.strict === true, identity);
  let monitoring: MonitoringServer | undefined;
  const onHangup = (): void => void reloader.reload('SIGHUP');
  process.on('SIGHUP', onHangup);
  let requestStop: (reason: string) => void = () => undefined;
  const stopped = new Promise<number>((resolve) => {
    let stopping = false;
    requestStop = (reason) => {
      if (stopping) return;
      onSignal(reason as NodeJS.Signals);
    };
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting without waiting for the drain');
        process.exit(1);
      }
      stopping = true;
      reloader.close();
      process.off('SIGHUP', onHangup);
      logger.info({ signal, drainTimeoutMs: agent.model.drainTimeoutMs }, 'stopping: sources first, then draining sinks');
      Promise.all([agent.stop(), monitoring?.stop()]).then(() => resolve(0), (err: unknown) => {
        logger.error({ err }, 'stop failed');
        resolve(1);
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  forgetEarlySignals();
  if (earlySignal !== undefined) requestStop(earlySignal);
  if (identity) {
    // A worker drains when its primary asks (or disappears), then lets go of the IPC channel.
    const detach = connectToPrimary(agent, identity, () => requestStop('primary'));
    void stopped.then(() => {
      detach();
      broker?.detach();
      process.disconnect?.();
    });
  }
  void reloader.init().then(() => {
    if (options.watch) reloader.watch();
  });
  if (monitoringHttp) {
    monitoring = new MonitoringServer(agent, { ...monitoringHttp, logger });
    try {
      await monitoring.start();
    } catch (cause) {
      reloader.close();
      process.off('SIGHUP', onHangup);
      await agent.stop(0);
      const error = new SluiceError('SLUICE_COMPONENT_START', `monitoring server could not listen on ${monitoringHttp.host}:${monitoringHttp.port}: ${(cause as Error).message}; choose another monitoring.http.port`, { cause });
      return reportStartFailure(error, options, logger);
    }
  }
  return stopped;
}

/** Reloads the agent from its file on demand; skips reloads when the file's content is unchanged. */
class Reloader {
  private digest = '';
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly file: string, private readonly name: string, private readonly agent: Agent, private readonly logger: Logger, private readonly monitoring: unknown, private readonly strict = false, private readonly worker?: WorkerIdentity) {}

  async init(): Promise<void> {
    this.digest = await this.contentDigest().catch(() => '');
  }

  /** Watches the file's directory (editors often replace the file) and reloads 200 ms after a change. */
  watch(): void {
    if (this.closed) return;
    const base = path.basename(this.file);
    this.watcher = watch(path.dirname(path.resolve(this.file)), (_event, changed) => {
      if (changed !== null && changed !== base) return;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.reload('watch', true), 200);
    });
    this.logger.info({ file: this.file }, 'watching the topology file for changes');
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.watcher?.close();
  }

  /**
   * Reloads the topology file; on SIGHUP also has every TLS listener re-read its certificate files
   * (whatever the file's fate: a rejected topology does not hold back renewed certificates).
   */
  reload(trigger: string, onlyIfChanged = false): Promise<void> {
    this.running = this.running.then(async () => {
      await this.apply(trigger, onlyIfChanged);
      if (trigger === 'SIGHUP') await this.reloadCertificates(trigger);
    });
    return this.running;
  }

  private async reloadCertificates(trigger: string): Promise<void> {
    try {
      const { reloaded, failed } = await this.agent.reloadTls();
      if (reloaded.length > 0 || failed.length > 0) this.logger.info({ trigger, reloaded, failed }, 'TLS certificates re-read');
    } catch (err) {
      this.logger.error({ err, trigger }, 'TLS certificate reload failed');
    }
  }

  private async apply(trigger: string, onlyIfChanged: boolean): Promise<void> {
    let digest: string;
    try {
      digest = await this.contentDigest();
    } catch (err) {
      this.logger.error({ err, trigger, file: this.file }, 'reload: cannot read the topology file; nothing changed');
      return;
    }
    if (onlyIfChanged && digest === this.digest) return;
    this.digest = digest;
    this.logger.info({ trigger, file: this.file }, 'reload: validating the topology file');
    try {
      const { model, catalog, warnings } = await loadTopology(await readTopology(this.file), { agent: this.name, ...(this.strict ? { strict: true } : {}) });
      for (const warning of warnings) this.logger.warn({ trigger, path: warning.path, key: warning.key, hint: warning.hint }, `reload: topology: ${formatProblem(warning)}`);
      const next = model.agents[this.name];
      if (!next) throw new SluiceError('SLUICE_CONFIG_INVALID', `the file no longer defines agent '${this.name}'`);
      const workers = this.worker?.count ?? this.agent.model.workers;
      if (next.workers !== workers && (this.worker?.index ?? 0) === 0) {
        this.logger.warn({ workers, inFile: next.workers }, 'reload: workers changed; the new count takes effect when the agent restarts');
      }
      if (JSON.stringify(model.monitoring) !== JSON.stringify(this.monitoring)) {
        this.logger.warn({ monitoring: model.monitoring }, 'reload: monitoring settings changed; they take effect when the agent restarts');
      }
      const result = await this.agent.reload(this.worker ? modelForWorker(next, catalog, this.worker.index) : next, catalog);
      this.logger.info({ trigger, restarted: result.plan, failed: result.failed }, 'reload applied');
    } catch (error) {
      const problems = error instanceof ConfigError ? error.problems.map(formatProblem) : undefined;
      this.logger.error({ trigger, err: error, code: (error as { code?: string }).code, problems }, 'reload rejected: the file is invalid; the agent keeps running unchanged');
    }
  }

  private async contentDigest(): Promise<string> {
    return createHash('sha256').update(await readFile(this.file)).digest('hex');
  }
}

function reportStartFailure(error: unknown, options: AgentCommandOptions, logger: Logger): number {
  if (error instanceof ConfigError) {
    writeConfigProblems(options.err, options.file, error, '; the agent was not started');
    return 1;
  }
  if (error instanceof SluiceError) {
    logger.fatal({ err: error, code: error.code }, error.message);
    options.err.write(`sluice: ${error.message} [${error.code}]\n`);
    return 1;
  }
  throw error;
}
