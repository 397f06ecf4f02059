import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { readTopology, ConfigError, formatProblem } from '@sluice/config';
import { Agent, loadTopology, MonitoringServer } from '@sluice/agent';
import { createLogger, SluiceError, type Logger } from '@sluice/core';
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
 * changes nothing; then only changed components and their dependents restart.
 */
export async function agentCommand(options: AgentCommandOptions): Promise<number> {
  const logger = createLogger({ level: options.logLevel });
  let agent: Agent;
  let name: string;
  let monitoringHttp: { port: number; host: string } | undefined;
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
    // Once, at start: what Flume would have ignored silently (a reload logs its own).
    for (const warning of warnings) logger.warn({ path: warning.path, key: warning.key, hint: warning.hint }, `topology: ${formatProblem(warning)}`);
    monitoringHttp = model.monitoring.http;
    agent = new Agent(model.agents[name]!, catalog, { logger, configDir: model.baseDir });
    await agent.start();
  } catch (error) {
    return reportStartFailure(error, options, logger);
  }
  // Signal handlers go in before any further await: a signal right after 'agent started' must drain.
  const reloader = new Reloader(options.file, name, agent, logger, { ...(monitoringHttp ? { http: monitoringHttp } : {}) }, options.strict === true);
  let monitoring: MonitoringServer | undefined;
  const onHangup = (): void => void reloader.reload('SIGHUP');
  process.on('SIGHUP', onHangup);
  const stopped = new Promise<number>((resolve) => {
    let stopping = false;
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

  constructor(private readonly file: string, private readonly name: string, private readonly agent: Agent, private readonly logger: Logger, private readonly monitoring: unknown, private readonly strict = false) {}

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

  reload(trigger: string, onlyIfChanged = false): Promise<void> {
    this.running = this.running.then(() => this.apply(trigger, onlyIfChanged));
    return this.running;
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
      if (JSON.stringify(model.monitoring) !== JSON.stringify(this.monitoring)) {
        this.logger.warn({ monitoring: model.monitoring }, 'reload: monitoring settings changed; they take effect when the agent restarts');
      }
      const result = await this.agent.reload(next, catalog);
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
