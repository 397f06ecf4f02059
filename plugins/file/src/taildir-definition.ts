import { defineComponent, DURATION_PATTERN, durationOption } from '@sluice/core';
import { patternProblems } from './compile-pattern.js';
import { flumeRegexToGlob } from './glob.js';
import { TaildirSource, type TaildirSourceConfig } from './taildir-source.js';

const FLUME_MS_KEYS: Record<string, string> = { idleTimeout: 'idleTimeout', writePosInterval: 'writePosInterval' };

/** The `taildir` source: Flume's TAILDIR, with rotation-safe file identity. */
export const taildirSource = defineComponent<'source', TaildirSourceConfig>({
  kind: 'source',
  type: 'taildir',
  description: 'Follows the files matched by glob file groups, one event per line (or multi-line record), surviving rename and copytruncate rotation.',
  guarantee: 'At-least-once: the position file records only what every required channel committed and is replaced atomically; after a crash at most the batch in flight is read again. Lines written between a copytruncate copy and its truncation are lost (a limit of copytruncate).',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      filegroups: {
        type: 'object',
        minProperties: 1,
        additionalProperties: { type: 'string', minLength: 1 },
        required: [],
        description: 'Map of group name to a glob of files to follow (`*`, `?`, `[ab]`, `{a,b}` in any path segment), e.g. `{ app: /var/log/app/*.log }`. Include the rotated names (`app.log*`) to be safe across crashes during rotation.',
      },
      headers: {
        type: 'object',
        additionalProperties: { type: 'object', additionalProperties: { type: 'string' }, required: [] },
        required: [],
        default: {},
        description: 'Static headers per group: `{ app: { topic: app } }`.',
      },
      positionFile: { type: 'string', default: '', description: 'JSON file recording, per file, the offset committed so far. Empty: taildir_position.json in the component data directory.' },
      skipToEnd: { type: 'boolean', default: false, description: 'Start files found at start-up that are not in the position file at their end instead of their beginning.' },
      fileHeader: { type: 'boolean', default: false, description: 'Add the path of the file each line came from as a header.' },
      fileHeaderKey: { type: 'string', default: 'file', description: 'Header name for the file path.' },
      byteOffsetHeader: { type: 'boolean', default: false, description: 'Add the offset of each line (record) in its file as the `byteoffset` header, like Flume.' },
      batchSize: { type: 'integer', minimum: 1, default: 100, description: 'Most events delivered per channel transaction.' },
      maxLineLength: { type: 'integer', minimum: 1, default: 65536, description: 'Longest line (or multi-line record) in bytes.' },
      lineOverflow: { type: 'string', enum: ['split', 'drop'], default: 'split', description: 'A longer line is split into maxLineLength pieces (counted as LineSplitCount) or dropped (LineDroppedCount).' },
      multilineStartPattern: { type: 'string', default: '', description: 'Regular expression matching the first line of a record (e.g. `^\\d{4}-` for stack traces: one backslash in single-quoted YAML; a doubly escaped `\\\\d` is refused); other lines join the record with a newline. Empty: one event per line.' },
      multilineTimeout: { type: 'string', pattern: DURATION_PATTERN, default: '1s', description: 'A multi-line record is complete when the next start line arrives or its file stays quiet this long.' },
      idleTimeout: durationOption('Close a file that had no new data for this long (it is reopened when it grows).', '2m', 'ms'),
      pollInterval: { type: 'string', pattern: DURATION_PATTERN, default: '1s', description: 'How often files are checked and globs rescanned when no change notification arrives.' },
      writePosInterval: durationOption('Least time between position file writes. 0 writes after every committed batch (a crash repeats at most one batch).', '0', 'ms'),
      readBufferSize: { type: 'integer', minimum: 4096, default: 262144, description: 'Most bytes read from a file at once.' },
    },
    required: [
      'filegroups', 'headers', 'positionFile', 'skipToEnd', 'fileHeader', 'fileHeaderKey', 'byteOffsetHeader', 'batchSize', 'maxLineLength', 'lineOverflow',
      'multilineStartPattern', 'multilineTimeout', 'idleTimeout', 'pollInterval', 'writePosInterval', 'readBufferSize',
    ],
  },
  resources: (config) => [{ id: `file:${config.positionFile || 'default'}`, key: 'positionFile' }].filter((r) => r.id !== 'file:default'),
  // The pattern the constructor compiles, with the message it throws.
  check: (config) => patternProblems({ multilineStartPattern: config.multilineStartPattern }),
  fromFlume(properties) {
    const config: Record<string, unknown> = {};
    const groups: Record<string, string> = {};
    const headers: Record<string, Record<string, string>> = {};
    for (const [key, value] of Object.entries(properties)) {
      if (key === 'filegroups') continue;
      if (key.startsWith('filegroups.')) {
        groups[key.slice('filegroups.'.length)] = flumeRegexToGlob(value);
      } else if (key.startsWith('headers.')) {
        const [, group, ...rest] = key.split('.');
        (headers[group!] ??= {})[rest.join('.')] = value;
      } else if (key in FLUME_MS_KEYS) {
        config[FLUME_MS_KEYS[key]!] = /^[0-9]+$/.test(value) ? `${value}ms` : value;
      } else if (key === 'cachePatternMatching' || key === 'maxBatchCount') {
        // Flume tuning keys with no equivalent here
      } else {
        config[key] = value;
      }
    }
    config.filegroups = groups;
    if (Object.keys(headers).length > 0) config.headers = headers;
    return config;
  },
  create: (config, ctx) => new TaildirSource(config, ctx),
});
