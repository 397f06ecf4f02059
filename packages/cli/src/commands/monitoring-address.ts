import { readTopology } from '@sluice/config';

/** `http://host:port` for `PORT`, `host:port` or a URL (trailing slashes dropped). */
export function monitoringBase(target: string): string {
  if (/^\d+$/.test(target)) return `http://127.0.0.1:${target}`;
  if (/^https?:\/\//.test(target)) return target.replace(/\/+$/, '');
  return `http://${target}`;
}

/** The monitoring settings a topology file declares, as `sluice top` and `sluice tap` use them. */
export interface FileMonitoring {
  /** The server's address, when the file sets a fixed `monitoring.http.port` (not 0). */
  base: string | undefined;
  /** `monitoring.http.tap` is true. */
  tap: boolean;
}

/** Reads `monitoring.http` of a topology file without loading its components. */
export async function monitoringOfFile(file: string): Promise<FileMonitoring> {
  const raw = await readTopology(file);
  const http = ((raw.data as { monitoring?: { http?: { port?: unknown; host?: unknown; tap?: unknown } } })?.monitoring)?.http;
  const port = typeof http?.port === 'string' && /^\d+$/.test(http.port) ? Number(http.port) : http?.port;
  if (typeof port !== 'number' || port === 0) return { base: undefined, tap: http?.tap === true };
  const host = typeof http?.host === 'string' && http.host !== '0.0.0.0' ? http.host : '127.0.0.1';
  return { base: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, tap: http?.tap === true };
}
