import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AgentModel, MonitoringModel } from '@sluice/config';
import { planWorkers, workerDirName, WorkerSupervisor, WorkersMonitoringServer, type ComponentCatalog } from '@sluice/agent';
import type { Logger } from '@sluice/core';

/** The CLI entry point each worker process runs. */
const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin.js');

/** What the primary of a multi-worker agent needs. */
export interface AgentWorkersOptions {
  file: string;
  name: string;
  logLevel: string;
  watch: boolean;
  model: AgentModel;
  catalog: ComponentCatalog;
  monitoring: MonitoringModel['http'];
  logger: Logger;
}

/**
 * `sluice agent` for an agent with `workers: N` (N > 1), in the primary process: the topology was
 * validated already; this forks N workers running `sluice agent -f FILE -n NAME` (each knows its
 * index from the environment), serves the monitoring endpoints for all of them, forwards SIGHUP
 * (reload) to each, and on SIGTERM/SIGINT asks each to drain and resolves 0 once all exited (a second
 * signal makes draining workers exit at once). A worker that dies is restarted with its index.
 * Resolves 1 when the workers could not all start.
 */
export async function runAgentWorkers(options: AgentWorkersOptions): Promise<number> {
  const { logger, model } = options;
  const plan = planWorkers(model, options.catalog);
  const args = ['agent', '-f', options.file, '-n', options.name, '--log-level', options.logLevel, ...(options.watch ? ['--watch'] : [])];
  // Workers drain for drainTimeout themselves; past that (and start-up slack) the rest are killed.
  const supervisor = new WorkerSupervisor({ count: model.workers, exec: BIN, args, logger, stopTimeoutMs: model.drainTimeoutMs + 15_000 });
  let monitoring: WorkersMonitoringServer | undefined;
  let stopping = false;
  const onHangup = (): void => {
    logger.info({ workers: model.workers }, 'SIGHUP: every worker reloads the topology file; a change of workers takes effect when the agent restarts');
    supervisor.reload();
  };
  const stopped = new Promise<number>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: workers exit without waiting for the drain');
        supervisor.kill();
        return;
      }
      stopping = true;
      process.off('SIGHUP', onHangup);
      logger.info({ signal, drainTimeoutMs: model.drainTimeoutMs, workers: model.workers }, 'stopping: every worker stops its sources, then drains its sinks');
      Promise.all([supervisor.stop(), monitoring?.stop()]).then(() => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        logger.info('agent stopped');
        resolve(0);
      }, (err: unknown) => {
        logger.error({ err }, 'stop failed');
        resolve(1);
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  // Monitoring listens first: it answers (workers "starting", /health 503) while they start, a
  // port in use stops the agent before any worker is forked, and once 'all workers started' is
  // logged the endpoints are there.
  if (options.monitoring) {
    monitoring = new WorkersMonitoringServer(supervisor, { agent: options.name, ...options.monitoring, logger });
    try {
      await monitoring.start();
    } catch (err) {
      logger.fatal({ err, code: 'SLUICE_COMPONENT_START' }, `monitoring server could not listen on ${options.monitoring.host}:${options.monitoring.port}: ${(err as Error).message}; choose another monitoring.http.port`);
      return 1;
    }
  }
  process.on('SIGHUP', onHangup);
  logger.info({ workers: model.workers, everyWorker: plan.everyWorker, workerZeroOnly: plan.workerZeroOnly }, 'starting workers');
  try {
    await supervisor.start();
  } catch (err) {
    process.off('SIGHUP', onHangup);
    if (stopping) return stopped;
    logger.fatal({ err, code: 'SLUICE_COMPONENT_START' }, (err as Error).message);
    await monitoring?.stop();
    return 1;
  }
  return stopped;
}

/**
 * Warns about `worker-<i>` directories of workers this run does not have (the agent ran with more
 * workers before): their stores hold events nobody delivers until the agent runs with that many
 * workers again. Only the agent dataDir is checked; channels with their own dataDir are not.
 */
export function warnStrandedStores(model: AgentModel, logger: Logger): void {
  let entries: string[];
  try {
    entries = readdirSync(model.dataDir);
  } catch {
    return;
  }
  const stranded = entries.filter((name) => {
    const match = /^worker-(\d+)$/.exec(name);
    return match !== null && Number(match[1]) >= model.workers && name === workerDirName(Number(match[1]));
  });
  if (stranded.length > 0) {
    logger.warn({ dataDir: model.dataDir, stranded, workers: model.workers }, 'state of workers this agent no longer runs is left on disk; run the agent with the earlier workers count until it drained, then remove those directories');
  }
}
