import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { DURATION_OR_NUMBER_PATTERN, DURATION_PATTERN, SIZE_OR_NUMBER_PATTERN, SIZE_PATTERN, type AnyComponentDefinition } from '@sluice/core';
import { checkAmountLimits } from './amount-limits.js';
import { closest } from './closest.js';
import { pointerSegment, type Problem } from './problem.js';

const strictAjv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
const coercingAjv = new Ajv({ allErrors: true, useDefaults: true, strict: false, coerceTypes: true });
const compiled = new WeakMap<object, ValidateFunction>();
const compiledCoercing = new WeakMap<object, ValidateFunction>();

/**
 * Validates one component's config against its schema: returns the config with defaults applied
 * (a copy; the input is not changed) and pushes one problem per schema error, each with its full
 * JSON pointer. `coerce` turns strings into numbers/booleans, for Flume .properties values.
 */
export function validateComponentConfig(definition: AnyComponentDefinition, config: Record<string, unknown>, basePath: string, problems: Problem[], coerce: boolean): Record<string, unknown> {
  const cache = coerce ? compiledCoercing : compiled;
  let validate = cache.get(definition.schema);
  if (!validate) {
    validate = (coerce ? coercingAjv : strictAjv).compile(definition.schema);
    cache.set(definition.schema, validate);
  }
  const copy = structuredClone(config);
  const found: Problem[] = [];
  if (!validate(copy)) {
    for (const error of validate.errors ?? []) found.push(toProblem(error, definition, basePath));
  }
  // Values the schema refused already have their problem; the limits check the rest.
  const refused = new Set(found.map((p) => p.path));
  const limits: Problem[] = [];
  checkAmountLimits(definition.schema, copy, basePath, limits);
  problems.push(...found, ...limits.filter((p) => !refused.has(p.path)));
  return copy;
}

function toProblem(error: ErrorObject, definition: AnyComponentDefinition, basePath: string): Problem {
  const label = `${definition.kind} type '${definition.type}'`;
  const path = basePath + error.instancePath;
  const properties = (definition.schema as { properties?: Record<string, { description?: string }> }).properties ?? {};
  switch (error.keyword) {
    case 'required': {
      const missing = String(error.params.missingProperty);
      const description = properties[missing]?.description;
      return { path: `${path}/${pointerSegment(missing)}`, message: `is required by ${label}`, ...(description ? { hint: description } : {}) };
    }
    case 'additionalProperties': {
      const extra = String(error.params.additionalProperty);
      const known = Object.keys(error.instancePath === '' ? properties : {});
      const guess = closest(extra, known);
      const hint = guess ? `did you mean '${guess}'?` : known.length > 0 ? `known options: ${known.join(', ')}` : undefined;
      return { path: `${path}/${pointerSegment(extra)}`, message: `is not an option of ${label}`, ...(hint ? { hint } : {}) };
    }
    case 'pattern': {
      const pattern = String(error.params.pattern);
      if (pattern === DURATION_PATTERN) return { path, message: 'must be a duration like 30s', hint: 'use a number with ms, s, m, h or d (e.g. 500ms, 30s, 5m), or 0' };
      if (pattern === SIZE_PATTERN) return { path, message: 'must be a size like 128MiB', hint: 'use a number with B, KiB, MiB, GiB (or KB, MB, GB), or 0' };
      if (pattern === DURATION_OR_NUMBER_PATTERN) return { path, message: 'must be a duration like 30s', hint: 'use a number with ms, s, m, h or d (e.g. 500ms, 30s, 5m), or a bare number in the unit the option\'s description names' };
      if (pattern === SIZE_OR_NUMBER_PATTERN) return { path, message: 'must be a size like 128MiB', hint: 'use a number with B, KiB, MiB, GiB (or KB, MB, GB), or a bare number of bytes' };
      return { path, message: `must match ${pattern}` };
    }
    case 'enum':
      return { path, message: `must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    default:
      return { path, message: error.message ?? 'is invalid' };
  }
}
