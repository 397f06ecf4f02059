import { defineComponent, DURATION_PATTERN, type Problem } from '@sluice/core';
import { ExecSource, execArgv, type ExecSourceConfig } from './exec-source.js';

/**
 * What the exec source would refuse beyond its schema: an empty command line, and a charset in which
 * a newline is not the byte 0x0a (UTF-16/32), since lines are split on that byte and bodies keep the
 * command's bytes unchanged. Pure.
 */
export function execSourceProblems(config: ExecSourceConfig): Problem[] {
  const problems: Problem[] = [];
  if (execArgv(config).length === 0) problems.push({ path: '/command', message: 'command is empty; set the command line to run, e.g. tail -F /var/log/app.log' });
  let encoding: string | undefined;
  try {
    encoding = new TextDecoder(config.charset).encoding;
  } catch {
    problems.push({ path: '/charset', message: `unknown charset '${config.charset}'; use a name like UTF-8 or ISO-8859-1` });
  }
  if (encoding !== undefined && encoding.startsWith('utf-16')) {
    problems.push({ path: '/charset', message: `charset ${config.charset} is not supported: lines are split on the newline byte, so the output must be ASCII-compatible (UTF-8, ISO-8859-1, ...); pipe the command through iconv -f ${config.charset} -t UTF-8` });
  }
  return problems;
}

/** Flume's exec keys whose values are milliseconds. */
const FLUME_MS_KEYS = new Set(['restartThrottle', 'batchTimeout']);

/** The `exec` source: Flume's exec, run in its own process group. */
export const execSource = defineComponent<'source', ExecSourceConfig>({
  kind: 'source',
  type: 'exec',
  description: 'Runs a command (e.g. tail -F) in its own process group and turns each line of its standard output into an event; the whole group is ended on stop and reload.',
  guarantee: 'None (like Flume\'s exec source): lines still in the pipe or not yet committed when the source stops or the agent dies are lost, and a restarted command decides itself where it resumes. While the agent runs, a full channel pauses reading the pipe (the command blocks) instead of dropping lines. Use taildir to follow files with at-least-once delivery.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      command: { type: 'string', minLength: 1, description: 'The command line to run, split on whitespace (no quoting); with shell set it is passed to the shell as one argument.' },
      shell: { type: 'string', default: '', description: 'Shell to run the command with, e.g. `/bin/sh -c` (for pipes, globs, redirections). Empty: run the command directly.' },
      restart: { type: 'boolean', default: false, description: 'Run the command again when it exits.' },
      restartThrottle: { type: 'string', pattern: DURATION_PATTERN, default: '10s', description: 'Wait between the command exiting and its restart.' },
      logStdErr: { type: 'boolean', default: false, description: 'Log every stderr line of the command as it comes (the last 10 are logged with every exit anyway).' },
      batchSize: { type: 'integer', minimum: 1, default: 20, description: 'Lines delivered per channel transaction.' },
      batchTimeout: { type: 'string', pattern: DURATION_PATTERN, default: '3s', description: 'A partial batch is delivered once its first line waited this long.' },
      charset: { type: 'string', default: 'UTF-8', description: 'Encoding of the command\'s output; bodies keep its bytes. Must be ASCII-compatible (newline is byte 0x0a).' },
      maxLineLength: { type: 'integer', minimum: 1, default: 1048576, description: 'Longest line in bytes; longer lines are cut (counted as EventTruncatedCount).' },
      stopGracePeriod: { type: 'string', pattern: DURATION_PATTERN, default: '5s', description: 'On stop or reload the process group gets SIGTERM, and SIGKILL if anything of it is still running after this long.' },
    },
    required: ['command', 'shell', 'restart', 'restartThrottle', 'logStdErr', 'batchSize', 'batchTimeout', 'charset', 'maxLineLength', 'stopGracePeriod'],
  },
  check: execSourceProblems,
  fromFlume(properties) {
    const config: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(properties)) {
      config[key] = FLUME_MS_KEYS.has(key) && /^[0-9]+$/.test(value) ? `${value}ms` : value;
    }
    return config;
  },
  create: (config, ctx) => new ExecSource(config, ctx),
});
