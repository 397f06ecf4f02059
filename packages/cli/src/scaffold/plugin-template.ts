/** What `sluice new plugin` needs to know. */
export interface PluginTemplateOptions {
  /** npm package name, e.g. `sluice-plugin-webhook` or `@acme/sluice-plugin-webhook`. */
  packageName: string;
  /** The sample sink's topology type, e.g. `webhook`. */
  type: string;
  /** Version range of the Sluice packages to depend on, e.g. `^0.1.0`. */
  sluiceRange: string;
}

const pascal = (type: string): string => type.split(/[_-]/).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
const kebab = (type: string): string => type.replace(/_/g, '-');

/**
 * The files of a new plugin package: a working sample sink (JSON lines into a file), its
 * conformance test (sinkSuite), package.json with the `sluice-plugin` keyword and a peer
 * dependency on @sluice/core, tsconfig, and a README. Keys are relative paths.
 */
export function pluginTemplate(options: PluginTemplateOptions): Record<string, string> {
  const { packageName, type, sluiceRange } = options;
  const className = `${pascal(type)}Sink`;
  const file = `${kebab(type)}-sink`;
  return {
    'package.json': `${JSON.stringify({
      name: packageName,
      version: '0.1.0',
      description: `A Sluice plugin providing the ${type} sink`,
      type: 'module',
      main: './dist/src/index.js',
      types: './dist/src/index.d.ts',
      exports: { '.': './dist/src/index.js', './package.json': './package.json' },
      files: ['dist/src', 'README.md'],
      keywords: ['sluice-plugin'],
      scripts: { build: 'tsc -p .', test: 'tsc -p . && mocha', prepack: 'tsc -p .' },
      peerDependencies: { '@sluice/core': sluiceRange },
      devDependencies: {
        '@sluice/core': sluiceRange, '@sluice/testkit': sluiceRange, '@sluice/agent': sluiceRange, '@sluice/config': sluiceRange,
        '@types/chai': '^5.2.0', '@types/mocha': '^10.0.10', '@types/node': '^20.19.0', chai: '^6.2.0', mocha: '^11.7.0', typescript: '^7.0.2',
      },
    }, null, 2)}\n`,
    'tsconfig.json': `${JSON.stringify({
      compilerOptions: {
        target: 'es2022', lib: ['es2023'], module: 'nodenext', moduleResolution: 'nodenext', strict: true, declaration: true,
        composite: true, sourceMap: true, skipLibCheck: true, rootDir: '.', outDir: 'dist', types: ['node', 'mocha'],
      },
      include: ['src', 'test'],
    }, null, 2)}\n`,
    '.mocharc.json': `${JSON.stringify({ spec: ['dist/test/**/*.test.js'], timeout: 20000, exit: true }, null, 2)}\n`,
    '.gitignore': 'node_modules/\ndist/\n*.tsbuildinfo\n',
    'src/index.ts': `import { definePlugin } from '@sluice/core';
import { ${type}Sink } from './${file}.js';

export { ${className}, ${type}Sink } from './${file}.js';

/** The plugin: name it in a topology's \`plugins:\` list, then use \`type: ${type}\`. */
export default definePlugin({
  name: ${JSON.stringify(packageName)},
  core: ${JSON.stringify(sluiceRange)},
  components: [${type}Sink],
});
`,
    [`src/${file}.ts`]: `import { appendFile } from 'node:fs/promises';
import { BatchSink, defineComponent, SluiceError, type SinkContext, type SluiceEvent } from '@sluice/core';

/** Config of the \`${type}\` sink. */
export interface ${className}Config {
  path: string;
  batchSize: number;
}

/**
 * Appends each event as one JSON line ({"headers":{...},"body":"..."}) to a file.
 * BatchSink does the transaction work: take a batch, call write(), commit; on a rejection it
 * rolls back, so the events stay in the channel and are retried.
 */
export class ${className} extends BatchSink {
  constructor(private readonly config: ${className}Config, ctx: SinkContext) {
    super(ctx, config.batchSize);
  }

  protected async write(events: SluiceEvent[]): Promise<void> {
    const lines = events.map((e) => JSON.stringify({ headers: e.headers, body: e.body.toString('utf8') })).join('\\n');
    try {
      await appendFile(this.config.path, \`\${lines}\\n\`);
    } catch (cause) {
      throw new SluiceError('SLUICE_DELIVERY_FAILED', \`${type} sink '\${this.name}' cannot append to \${this.config.path}: \${(cause as Error).message}\`, { cause });
    }
  }
}

export const ${type}Sink = defineComponent<'sink', ${className}Config>({
  kind: 'sink',
  type: ${JSON.stringify(type)},
  description: 'Appends events as JSON lines to a file.',
  guarantee: 'At-least-once: a batch is committed after it was appended to the file; a crash before the commit repeats it.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      path: { type: 'string', minLength: 1, description: 'File to append JSON lines to.' },
      batchSize: { type: 'integer', minimum: 1, default: 100, description: 'Events per transaction.' },
    },
    required: ['path', 'batchSize'],
  },
  create: (config, ctx) => new ${className}(config, ctx),
});
`,
    [`test/${file}.test.ts`]: `import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sinkSuite } from '@sluice/testkit';
import { ${type}Sink } from '../src/index.js';

describe('${type} sink', () => {
  let dir = '';
  let target = '';
  sinkSuite({
    factory: (ctx) => {
      dir = mkdtempSync(path.join(os.tmpdir(), '${kebab(type)}-'));
      target = path.join(dir, 'out.jsonl');
      return ${type}Sink.create({ path: target, batchSize: 50 }, ctx);
    },
    readBack: async () => (existsSync(target) ? readFileSync(target, 'utf8').split('\\n').filter(Boolean).map((l) => (JSON.parse(l) as { body: string }).body) : []),
    // A directory where the file should be makes every append fail, like a full or read-only disk.
    breakDestination: async () => mkdirSync(target),
    healDestination: async () => rmSync(target, { recursive: true, force: true }),
    capabilities: { failureInjection: true },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  });
});
`,
    'README.md': `# ${packageName}

A [Sluice](https://www.npmjs.com/package/sluice) plugin providing the \`${type}\` sink.

## Install
\`\`\`sh
npm install ${packageName}
\`\`\`

## Use
\`\`\`yaml
plugins: ["${packageName}"]
agents:
  a1:
    sources: { r1: { type: seq, count: 100, channels: [c1] } }
    channels: { c1: { type: memory } }
    sinks: { k1: { type: ${type}, channel: c1, path: ./events.jsonl } }
\`\`\`

## Options
| option | default | description |
|---|---|---|
| \`path\` | required | File to append JSON lines to. |
| \`batchSize\` | 100 | Events per transaction. |

## Delivery guarantee
At-least-once: a batch is committed after it was appended to the file; a crash before the commit repeats it.

## Errors
\`SLUICE_DELIVERY_FAILED\` (retriable) when the file cannot be written; the batch stays in the channel.

## Develop
\`npm test\` builds and runs the conformance suite from \`@sluice/testkit\`.
`,
  };
}
