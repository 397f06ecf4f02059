import { defineComponent, DURATION_PATTERN, durationOption } from '@sluice/core';
import { patternProblems } from './compile-pattern.js';
import { SpooldirSource, type SpooldirSourceConfig } from './spooldir-source.js';

const FLUME_KEYS: Record<string, string> = {
  'deserializer.maxLineLength': 'maxLineLength',
};

/** The `spooldir` source: Flume's Spooling Directory source. */
export const spooldirSource = defineComponent<'source', SpooldirSourceConfig>({
  kind: 'source',
  type: 'spooldir',
  description: 'Reads complete files dropped into a directory, one event per line, then renames (or tracks, or deletes) each finished file, like Flume\'s spooling directory source.',
  guarantee: 'At-least-once: the offset in the current file is saved after every committed batch and a file is marked done only after its last line was committed; a crash repeats at most one batch. A file that changes while read is refused (SLUICE_FILE_CHANGED) and renamed .FAILED.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      spoolDir: { type: 'string', minLength: 1, description: 'The directory to read files from.' },
      fileSuffix: { type: 'string', minLength: 1, default: '.COMPLETED', description: 'Suffix appended to a fully delivered file (trackingPolicy rename) or to its marker in trackerDir.' },
      deletePolicy: { type: 'string', enum: ['never', 'immediate'], default: 'never', description: 'Delete files once delivered instead of marking them.' },
      trackingPolicy: { type: 'string', enum: ['rename', 'tracker_dir'], default: 'rename', description: '`rename`: rename delivered files with fileSuffix; `tracker_dir`: leave them and create an empty marker file in trackerDir.' },
      trackerDir: { type: 'string', minLength: 1, default: '.flumespool', description: 'Directory for progress and markers, relative to spoolDir unless absolute.' },
      includePattern: { type: 'string', default: '^.*$', description: 'Regular expression a file name must match.' },
      ignorePattern: { type: 'string', default: '^$', description: 'Regular expression of file names to skip (checked after includePattern). Hidden files are always skipped.' },
      consumeOrder: { type: 'string', enum: ['oldest', 'youngest', 'random'], default: 'oldest', description: 'Which file to read next, by modification time.' },
      recursiveDirectorySearch: { type: 'boolean', default: false, description: 'Also read files in subdirectories.' },
      fileHeader: { type: 'boolean', default: false, description: 'Add the absolute path of the file as a header.' },
      fileHeaderKey: { type: 'string', default: 'file', description: 'Header name for the path.' },
      basenameHeader: { type: 'boolean', default: false, description: 'Add the file name as a header.' },
      basenameHeaderKey: { type: 'string', default: 'basename', description: 'Header name for the file name.' },
      batchSize: { type: 'integer', minimum: 1, default: 100, description: 'Most events delivered per channel transaction.' },
      maxLineLength: { type: 'integer', minimum: 1, default: 65536, description: 'Longest line in bytes.' },
      lineOverflow: { type: 'string', enum: ['split', 'drop'], default: 'split', description: 'A longer line is split into maxLineLength pieces or dropped.' },
      pollDelay: durationOption('Wait between looks at the directory when there is nothing to read.', '500ms', 'ms'),
      readBufferSize: { type: 'integer', minimum: 4096, default: 262144, description: 'Most bytes read from a file at once.' },
    },
    required: [
      'spoolDir', 'fileSuffix', 'deletePolicy', 'trackingPolicy', 'trackerDir', 'includePattern', 'ignorePattern', 'consumeOrder',
      'recursiveDirectorySearch', 'fileHeader', 'fileHeaderKey', 'basenameHeader', 'basenameHeaderKey', 'batchSize', 'maxLineLength',
      'lineOverflow', 'pollDelay', 'readBufferSize',
    ],
  },
  resources: (config) => [{ id: `dir:${config.spoolDir}`, key: 'spoolDir' }],
  // The patterns the constructor compiles, with the message it throws.
  check: (config) => patternProblems({ includePattern: config.includePattern, ignorePattern: config.ignorePattern }),
  fromFlume(properties) {
    const config: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(properties)) {
      if (key in FLUME_KEYS) config[FLUME_KEYS[key]!] = value;
      else if (key === 'pollDelay') config.pollDelay = /^[0-9]+$/.test(value) ? `${value}ms` : value;
      else if (key === 'maxBackoff' || key === 'inputCharset' || key === 'decodeErrorPolicy' || key === 'deserializer'
        || key.startsWith('deserializer.')) {
        // Flume keys with no equivalent: UTF-8 lines are the only format
      } else config[key] = value;
    }
    return config;
  },
  create: (config, ctx) => new SpooldirSource(config, ctx),
});
