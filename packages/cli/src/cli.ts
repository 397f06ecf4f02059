import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { agentCommand } from './commands/agent-command.js';
import { docsCommand } from './commands/docs-command.js';
import { graphCommand } from './commands/graph-command.js';
import { migrateKinesisAgentCommand } from './commands/migrate-kinesis-agent.js';
import { newPluginCommand } from './commands/new-command.js';
import { pluginsCommand } from './commands/plugins-command.js';
import { topCommand } from './commands/top-command.js';
import { validateCommand } from './commands/validate-command.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export const USAGE = `Usage: sluice <command> [options]

Commands:
  agent     -f FILE [-n NAME] [--log-level LEVEL] [--watch]
                                                   run an agent; SIGHUP (or a file change with --watch) reloads what changed
  validate  -f FILE [-n NAME]                       check a topology (YAML/JSON or Flume .properties); exit 1 on problems
  graph     -f FILE [-n NAME] [--format mermaid|dot]  print the agent's flow as a Mermaid (default) or DOT graph
  top       [URL|PORT] [-f FILE]                    live view of a running agent via its monitoring port
  plugins                                          list built-in and installed plugin component types
  new plugin NAME [--out DIR]                      scaffold a plugin package with a sample sink and its tests
  docs      [--out DIR] [--check]                   write docs/components.md and docs/errors.md (--check: exit 1 if stale)
  migrate kinesis-agent FILE                       print a topology equivalent to a Kinesis Agent agent.json

Options:
  -f, --file FILE       topology file (.yaml, .yml, .json, or Flume .properties/.conf)
  -n, --name NAME       agent name in the file (optional when it defines one agent)
  --log-level LEVEL     trace | debug | info | warn | error (default info)
  -h, --help            show this help
  -v, --version         print the version
`;

/** Runs the CLI with `argv` (without node and script) and resolves to the exit code. */
export async function main(argv: string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      tokens: true,
      options: {
        file: { type: 'string', short: 'f' },
        name: { type: 'string', short: 'n' },
        'log-level': { type: 'string', default: 'info' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
        out: { type: 'string', default: 'docs' },
        check: { type: 'boolean', default: false },
        watch: { type: 'boolean', default: false },
        format: { type: 'string', default: 'mermaid' },
      },
    });
  } catch (error) {
    err.write(`sluice: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    out.write(`sluice ${VERSION}\n`);
    return 0;
  }
  const command = positionals[0];
  if (values.help || command === undefined || command === 'help') {
    out.write(USAGE);
    return 0;
  }
  if (command === 'plugins') return pluginsCommand(process.cwd(), out, err);
  if (command === 'new') {
    if (positionals[1] !== 'plugin') {
      err.write(`sluice new: only 'sluice new plugin NAME' is supported\n`);
      return 2;
    }
    return newPluginCommand(positionals[2], parsed.tokens?.some((t) => t.kind === 'option' && t.name === 'out') ? values.out : undefined, out, err);
  }
  if (command === 'top') return topCommand({ target: positionals[1], file: values.file, out, err });
  if (command === 'migrate' && positionals[1] === 'kinesis-agent') return migrateKinesisAgentCommand(positionals[2], out, err);
  if (command === 'docs') return docsCommand(values.out ?? 'docs', values.check === true, out, err);
  if (command !== 'agent' && command !== 'validate' && command !== 'graph') {
    err.write(`sluice: unknown command '${command}'\n\n${USAGE}`);
    return 2;
  }
  if (!values.file) {
    err.write(`sluice ${command}: -f FILE is required\n\n${USAGE}`);
    return 2;
  }
  if (command === 'validate') return validateCommand(values.file, values.name, out, err);
  if (command === 'graph') return graphCommand(values.file, values.name, values.format ?? 'mermaid', out, err);
  return agentCommand({ file: values.file, name: values.name, logLevel: values['log-level'] ?? 'info', err, watch: values.watch === true });
}
