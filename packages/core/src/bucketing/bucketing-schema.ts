import { MAX_ROUND_VALUE, type RoundUnit } from './bucket-template.js';
import { ROLL_SCHEMA, type RollConfig } from './roll-policy.js';

/** The config keys every bucketing sink (hdfs, s3) shares; its config interface extends this. */
export interface BucketingConfig {
  roll: RollConfig;
  maxOpenFiles: number;
  round: boolean;
  roundValue: number;
  roundUnit: RoundUnit;
  useLocalTimeStamp: boolean;
  timeZone: 'utc' | 'local';
}

/**
 * JSON Schema properties of {@link BucketingConfig}: what every bucketing sink (hdfs, s3) shares: rolling, maxOpenFiles and the
 * Flume time-bucketing keys. Spread into a sink's `schema.properties` and list the names in
 * `required` (they all have defaults).
 */
export const BUCKETING_SCHEMA_PROPERTIES = {
  roll: ROLL_SCHEMA,
  maxOpenFiles: { type: 'integer', minimum: 1, default: 500, description: 'Most buckets open at once; the least recently written is closed first.' },
  round: { type: 'boolean', default: false, description: 'Round the event time down before expanding time escapes (Flume round).' },
  roundValue: { type: 'integer', minimum: 1, maximum: MAX_ROUND_VALUE, default: 1, description: 'Round down to a multiple of this many roundUnits (at most 1000000).' },
  roundUnit: { type: 'string', enum: ['second', 'minute', 'hour', 'day'], default: 'second', description: 'Unit of roundValue.' },
  useLocalTimeStamp: { type: 'boolean', default: false, description: 'Use the agent clock instead of the event timestamp header for time escapes.' },
  timeZone: { type: 'string', enum: ['utc', 'local'], default: 'utc', description: 'Time zone of the date escapes.' },
} as const;

/** Names of {@link BUCKETING_SCHEMA_PROPERTIES}, for a schema's `required` list. */
export const BUCKETING_REQUIRED = ['roll', 'maxOpenFiles', 'round', 'roundValue', 'roundUnit', 'useLocalTimeStamp', 'timeZone'] as const;

/** Flume hdfs.* key names that map one-to-one onto the shared bucketing keys. */
export function bucketingFromFlume(key: string, value: string, config: Record<string, unknown>): boolean {
  const roll = (config.roll ??= {}) as Record<string, unknown>;
  switch (key) {
    case 'rollInterval': roll.interval = value === '0' ? '0' : `${value}s`; return true;
    case 'rollSize': roll.size = value === '0' ? '0' : `${value}B`; return true;
    case 'rollCount': roll.count = Number(value); return true;
    case 'idleTimeout': roll.idleTimeout = value === '0' ? '0' : `${value}s`; return true;
    case 'maxOpenFiles': config.maxOpenFiles = Number(value); return true;
    case 'round': config.round = value === 'true'; return true;
    case 'roundValue': config.roundValue = Number(value); return true;
    case 'roundUnit': config.roundUnit = value; return true;
    case 'useLocalTimeStamp': config.useLocalTimeStamp = value === 'true'; return true;
    default: return false;
  }
}
