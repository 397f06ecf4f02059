import type { Agent } from '../agent.js';
import type { TapPoint } from './tap-hub.js';

/** A valid `GET /tap` request: the points to attach and the sampling limits. */
export interface TapRequest {
  points: TapPoint[];
  rate: number;
  limit: number;
  maxBodyBytes: number;
}

const MAX_RATE = 10_000;

/**
 * Reads the query of `GET /tap`: `component` (repeatable) is a source name (its output), a source
 * name followed by `:interceptors` (its interceptor chain's output) or a sink name (its input);
 * `rate` (events/s, default 10), `limit` (events, default 0 = until disconnect) and `maxBody`
 * (bytes shown per body, default 65536). Unknown names get a 404 listing what can be tapped.
 */
export function resolveTapRequest(query: URLSearchParams, agent: Agent): TapRequest | { status: number; error: string } {
  const names = query.getAll('component');
  if (names.length === 0) return { status: 400, error: `name at least one component: /tap?component=NAME; taps of agent '${agent.name}': ${describeTaps(agent)}` };
  const points: TapPoint[] = [];
  for (const name of names) {
    const found = pointsOf(name, agent);
    if (found.length === 0) return { status: 404, error: `agent '${agent.name}' has no source or sink named '${name}'; taps: ${describeTaps(agent)}` };
    for (const point of found) if (!points.includes(point)) points.push(point);
  }
  const rate = numberParam(query, 'rate', 10, 1, MAX_RATE);
  const limit = numberParam(query, 'limit', 0, 0, Number.MAX_SAFE_INTEGER);
  const maxBodyBytes = numberParam(query, 'maxBody', 65536, 1, 16 * 1024 * 1024);
  for (const [key, value] of [['rate', rate], ['limit', limit], ['maxBody', maxBodyBytes]] as const) {
    if (typeof value === 'string') return { status: 400, error: `${key}: ${value}` };
  }
  return { points, rate: rate as number, limit: limit as number, maxBodyBytes: maxBodyBytes as number };
}

function pointsOf(name: string, agent: Agent): TapPoint[] {
  const suffix = ':interceptors';
  const found: TapPoint[] = [];
  const source = agent.tapPoint('source', name);
  const sink = agent.tapPoint('sink', name);
  if (source) found.push(source);
  if (sink) found.push(sink);
  if (found.length === 0 && name.endsWith(suffix)) {
    const chain = agent.tapPoint('interceptors', name.slice(0, -suffix.length));
    if (chain) found.push(chain);
  }
  return found;
}

function describeTaps(agent: Agent): string {
  return agent.tapPoints().map((p) => (p.kind === 'interceptors' ? `${p.component}:interceptors` : `${p.component} (${p.kind})`)).join(', ') || 'none';
}

function numberParam(query: URLSearchParams, key: string, fallback: number, min: number, max: number): number | string {
  const text = query.get(key);
  if (text === null) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) return `must be a whole number from ${min} to ${max}, got '${text}'`;
  return value;
}
