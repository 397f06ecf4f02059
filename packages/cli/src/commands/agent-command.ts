import { readTopology, ConfigError, formatProblem } from '@sluice/config';
import { Agent, loadTopology } from '@sluice/agent';
import { createLogger, SluiceError, type Logger } from '@sluice/core';

/** Options of `sluice agent`. */
export interface AgentCommandOptions {
  file: string;
  name: string | undefined;
  logLevel: string;
  err: NodeJS.WritableStream;
}

/**
 * `sluice agent -f FILE -n NAME`: validates, starts the agent, and on SIGTERM/SIGINT stops it
 * gracefully (sources, bounded drain, channels) and resolves 0. A second signal exits at once.
 */
export async function agentCommand(options: AgentCommandOptions): Promise<number> {
  const logger = createLogger({ level: options.logLevel });
  let agent: Agent;
  try {
    const raw = await readTopology(options.file);
    const names = Object.keys(((raw.data as { agents?: object } | undefined)?.agents) ?? {});
    const name = options.name ?? (names.length === 1 ? names[0] : undefined);
    if (name === undefined) {
      options.err.write(`${options.file} defines ${names.length} agents (${names.join(', ')}); choose one with -n NAME\n`);
      return 1;
    }
    const { model, catalog } = await loadTopology(raw, { agent: name });
    agent = new Agent(model.agents[name]!, catalog, { logger, configDir: model.baseDir });
    await agent.start();
  } catch (error) {
    return reportStartFailure(error, options, logger);
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting without waiting for the drain');
        process.exit(1);
      }
      stopping = true;
      logger.info({ signal, drainTimeoutMs: agent.model.drainTimeoutMs }, 'stopping: sources first, then draining sinks');
      agent.stop().then(() => resolve(0), (err: unknown) => {
        logger.error({ err }, 'stop failed');
        resolve(1);
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

function reportStartFailure(error: unknown, options: AgentCommandOptions, logger: Logger): number {
  if (error instanceof ConfigError) {
    options.err.write(`${options.file}: ${error.problems.length} problem${error.problems.length === 1 ? '' : 's'}; the agent was not started\n`);
    for (const problem of error.problems) options.err.write(`  - ${formatProblem(problem)}\n`);
    return 1;
  }
  if (error instanceof SluiceError) {
    logger.fatal({ err: error, code: error.code }, error.message);
    options.err.write(`sluice: ${error.message} [${error.code}]\n`);
    return 1;
  }
  throw error;
}
