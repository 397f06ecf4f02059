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
  fromFlume(properties, flume) {
    const config: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(properties)) {
      if (key in FLUME_KEYS) config[FLUME_KEYS[key]!] = value;
      else if (key === 'pollDelay') config.pollDelay = /^[0-9]+$/.test(value) ? `${value}ms` : value;
      else if (key === 'maxBackoff') flume?.warn(key, 'caps the Java source\'s back-off when the channel is full; Sluice\'s runner backs off by its own rule');
      else if (key === 'inputCharset') {
        if (!/^utf-?8$/i.test(value.trim())) flume?.refuse(key, `${value.trim()}: Sluice reads spooled files as UTF-8 only`, 'convert the files to UTF-8, or remove the key if they are');
      } else if (key === 'decodeErrorPolicy') flume?.warn(key, 'Sluice replaces undecodable bytes with U+FFFD (Flume\'s REPLACE), whatever this says');
      else if (key === 'deserializer') {
        if (!/^(LINE|org\.apache\.flume\.serialization\.LineDeserializer\$Builder)$/i.test(value.trim())) flume?.refuse(key, `${value.trim()}: Sluice reads spooled files line by line only (Flume's LINE deserializer)`, 'remove the key, or port the deserializer as an npm plugin (`sluice new plugin`)');
      } else if (key.startsWith('deserializer.') || key === 'bufferMaxLines' || key === 'bufferMaxLineLength') flume?.warn(key, 'configures Flume\'s Java line reader; Sluice has no equivalent and ignores it');
      else config[key] = value;
    }
    return config;
  },
  create: (config, ctx) => new SpooldirSource(config, ctx),
});
