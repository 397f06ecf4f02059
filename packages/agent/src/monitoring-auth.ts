import { timingSafeEqual } from 'node:crypto';
import type http from 'node:http';

/** The environment variable `sluice top` and `sluice tap` read the monitoring token from. */
export const MONITORING_TOKEN_ENV = 'SLUICE_MONITORING_TOKEN';

/**
 * Guards a monitoring server's routes when `monitoring.http.token` is set: every route but
 * `/health` (which load balancers and orchestrators probe without credentials, and which says
 * nothing about the events) needs `Authorization: Bearer <token>`. Answers 401 itself and returns
 * false when the request lacks it; true when the request may proceed. Compared in constant time.
 */
export function monitoringAllowed(req: http.IncomingMessage, res: http.ServerResponse, token: string | undefined, path: string): boolean {
  if (!token || path === '/health') return true;
  const given = Buffer.from(req.headers.authorization ?? '');
  const wanted = Buffer.from(`Bearer ${token}`);
  if (given.length === wanted.length && timingSafeEqual(given, wanted)) return true;
  res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer realm="sluice monitoring"' });
  res.end(`this agent's monitoring needs "Authorization: Bearer <token>" (sluice top and sluice tap read it from ${MONITORING_TOKEN_ENV})\n`);
  return false;
}

/** Request headers for a monitoring client (`sluice top`, `sluice tap`): the token from {@link MONITORING_TOKEN_ENV}, if set. */
export function monitoringRequestHeaders(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const token = env[MONITORING_TOKEN_ENV];
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** Warns once at start when monitoring listens beyond this host with no token: anyone who reaches it can read the metrics (and tap events). */
export function warnOpenMonitoring(logger: { warn(obj: object, msg: string): void }, host: string, token: string | undefined): void {
  if (token || host === 'localhost' || host === '::1' || /^127\./.test(host)) return;
  logger.warn({ host }, 'monitoring listens beyond this host without a token: set monitoring.http.token (e.g. ${SLUICE_MONITORING_TOKEN})');
}
