import {
  DURATION_OR_NUMBER_PATTERN, DURATION_PATTERN, parseDuration, parseSize, SIZE_OR_NUMBER_PATTERN, SIZE_PATTERN, SluiceError,
  type BareDurationUnit,
} from '@sluice/core';
import { pointerSegment, type Problem } from './problem.js';

interface SchemaNode {
  pattern?: string;
  bareUnit?: BareDurationUnit;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
}

const DURATIONS = new Set([DURATION_PATTERN, DURATION_OR_NUMBER_PATTERN]);
const REGEXES = new Map([DURATION_PATTERN, DURATION_OR_NUMBER_PATTERN, SIZE_PATTERN, SIZE_OR_NUMBER_PATTERN].map((p) => [p, new RegExp(p)]));
const SIZES = new Set([SIZE_PATTERN, SIZE_OR_NUMBER_PATTERN]);

/**
 * Reports the durations and sizes of a component config that pass their schema's pattern but not
 * the parser: `1e400s`-long digit strings and numbers above MAX_DURATION_MS or MAX_SIZE_BYTES
 * would otherwise read as Infinity or a timer Node fires at once. Walks the schema's `properties`
 * and `items` alongside `config` (after ajv, so values of the wrong type are left to its problems).
 * Called by validateComponentConfig; `basePath` is the component's pointer.
 */
export function checkAmountLimits(schema: unknown, config: unknown, basePath: string, problems: Problem[]): void {
  const node = schema as SchemaNode | undefined;
  if (!node || typeof node !== 'object') return;
  if (typeof node.pattern === 'string' && (typeof config === 'string' || typeof config === 'number')) {
    const duration = DURATIONS.has(node.pattern);
    if (!duration && !SIZES.has(node.pattern)) return;
    if (typeof config === 'string' && !REGEXES.get(node.pattern)!.test(config)) return;
    try {
      if (duration) parseDuration(config, node.bareUnit ?? (node.pattern === DURATION_OR_NUMBER_PATTERN ? 'ms' : undefined));
      else parseSize(config);
    } catch (error) {
      if (!(error instanceof SluiceError)) throw error;
      problems.push({
        path: basePath,
        message: duration ? 'is too long: a duration may be at most about 24 days (2147483647 ms, the longest a timer can wait)' : 'is too large: a size may be at most 8 PiB (9007199254740991 bytes)',
        hint: duration ? 'write a duration like 30s, 5m, 1h or 7d' : 'write a size like 64KiB, 128MiB or 1GB',
      });
    }
    return;
  }
  if (node.properties && config !== null && typeof config === 'object' && !Array.isArray(config)) {
    for (const [key, child] of Object.entries(node.properties)) {
      if (Object.hasOwn(config, key)) checkAmountLimits(child, (config as Record<string, unknown>)[key], `${basePath}/${pointerSegment(key)}`, problems);
    }
  } else if (node.items && Array.isArray(config)) {
    config.forEach((item, i) => checkAmountLimits(node.items, item, `${basePath}/${i}`, problems));
  }
}
