import { createRequire } from 'node:module';
import { pino } from 'pino';

// pino-pretty (and its dependencies) load only for a terminal, not for the JSON logs of a service.
const require = createRequire(import.meta.url);

/** The structured logger handed to components (a pino-compatible subset). */
export interface Logger {
  trace(obj: object | string, msg?: string): void;
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  fatal(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  level?: string;
  /** Human-readable lines instead of JSON; defaults to whether stdout is a terminal. */
  pretty?: boolean;
  /** A writable file descriptor, default 1 (stdout). */
  fd?: number;
}

/** Creates the agent logger: JSON lines (pino), or pretty lines on a terminal. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const fd = options.fd ?? 1;
  const usePretty = options.pretty ?? (fd === 1 && process.stdout.isTTY === true);
  if (usePretty) {
    const pretty = require('pino-pretty') as typeof import('pino-pretty');
    return pino({ level }, pretty({ destination: fd, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
  }
  return pino({ level, base: { pid: process.pid } }, pino.destination({ fd, sync: true }));
}

/** A logger that drops everything; the default in tests. */
export const silentLogger: Logger = pino({ level: 'silent' });
