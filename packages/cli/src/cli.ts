import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { agentCommand } from './commands/agent-command.js';
import { docsCommand } from './commands/docs-command.js';
import { graphCommand } from './commands/graph-command.js';
import { migrateCommand } from './commands/migrate-command.js';
import { migrateKinesisAgentCommand } from './commands/migrate-kinesis-agent.js';
import { newPluginCommand } from './commands/new-command.js';
import { pluginsCommand } from './commands/plugins-command.js';
import { tapCommand } from './commands/tap-command.js';
import { testCommand } from './commands/test-command.js';
import { sqlCommand } from './commands/sql-command.js';
import { topCommand } from './commands/top-command.js';
import { validateCommand } from './commands/validate-command.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export const USAGE = `Usage: sluice <command> [options]

Commands:
  agent     -f FILE [-n NAME] [--log-level LEVEL] [--watch]
                                                   run an agent; SIGHUP (or a file change with --watch) reloads what changed
  validate  -f FILE [-n NAME] [--strict]            check a topology (YAML/JSON or Flume .properties); exit 1 on problems
  migrate   FILE [-n NAME] [--out FILE]             write a Flume .properties file as the equivalent YAML topology
  graph     -f FILE [-n NAME] [--format mermaid|dot]  print the agent's flow as a Mermaid (default) or DOT graph
  test      -f FILE [-n NAME]                       run the topology's unit tests (tests: in FILE, or NAME.test.yaml
                                                   beside it) in-process, no ports opened; exit 1 with a diff on failure
  top       [URL|PORT] [-f FILE]                    live view of a running agent via its monitoring port
  tap       (-f FILE [-n NAME] | --url URL) COMPONENT... [--rate N] [--limit N] [--json]
                                                   print a live sample of the events leaving a source (NAME),
                                                   its interceptor chain (NAME:interceptors) or entering a sink
                                                   (NAME) of a running agent; needs monitoring.http.tap: true
  plugins                                          list built-in and installed plugin component types
  new plugin NAME [--out DIR]                      scaffold a plugin package with a sample sink and its tests
  docs      [--out DIR] [--check]                   write docs/components.md and docs/errors.md (--check: exit 1 if stale)
  sql discover FILE                                infer a sql stage schema from sample records (JSON lines, CSV, log_to_json output)
  sql run   -f FILE [-n NAME] --stage S --input F  run a sql stage's query over a sample file and print the rows
  migrate kinesis-agent FILE                       print a topology equivalent to a Kinesis Agent agent.json

Options:
  -f, --file FILE       topology file (.yaml, .yml, .json, or Flume .properties/.conf)
  -n, --name NAME       agent name in the file (optional when it defines one agent); other agents are not checked
  --strict              Flume files: what Flume tolerates (unknown keys, JVM tuning keys) is an error, not a warning
  --log-level LEVEL     trace | debug | info | warn | error (default info)
  --url URL             tap: the agent's monitoring address (http://127.0.0.1:41414, host:port or a port)
  --rate N, --limit N   tap: at most N events per second (default 10); stop after N events
  --json                tap: print the stream's NDJSON lines unchanged
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
        url: { type: 'string' },
        rate: { type: 'string' },
        limit: { type: 'string' },
        json: { type: 'boolean', default: false },
        strict: { type: 'boolean', default: false },
        stage: { type: 'string' },
        input: { type: 'string' },
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
  if (command === 'tap') {
    return tapCommand({
      components: positionals.slice(1), url: values.url, file: values.file, name: values.name, rate: values.rate, limit: values.limit,
      json: values.json === true, out, err,
    });
  }
  if (command === 'sql') return sqlCommand({ sub: positionals[1], args: positionals.slice(2), file: values.file, name: values.name, stage: values.stage, input: values.input, out, err });
  if (command === 'migrate' && positionals[1] === 'kinesis-agent') return migrateKinesisAgentCommand(positionals[2], out, err);
  if (command === 'docs') return docsCommand(values.out ?? 'docs', values.check === true, out, err);
  if (command === 'migrate') {
    const file = positionals[1] ?? values.file;
    if (!file) {
      err.write(`sluice migrate: a Flume .properties file is required\n\n${USAGE}`);
      return 2;
    }
    const explicitOut = parsed.tokens?.some((t) => t.kind === 'option' && t.name === 'out') ? values.out : undefined;
    return migrateCommand({ file, agent: values.name, ...(explicitOut ? { outFile: explicitOut } : {}), out, err });
  }
  if (command !== 'agent' && command !== 'validate' && command !== 'graph' && command !== 'test') {
    err.write(`sluice: unknown command '${command}'\n\n${USAGE}`);
    return 2;
  }
  if (!values.file) {
    err.write(`sluice ${command}: -f FILE is required\n\n${USAGE}`);
    return 2;
  }
  if (command === 'test') return testCommand(values.file, values.name, out, err);
  if (command === 'validate') return validateCommand(values.file, { agent: values.name, strict: values.strict === true }, out, err);
  if (command === 'graph') return graphCommand(values.file, values.name, values.format ?? 'mermaid', out, err);
  return agentCommand({ file: values.file, name: values.name, logLevel: values['log-level'] ?? 'info', err, watch: values.watch === true, strict: values.strict === true });
}
