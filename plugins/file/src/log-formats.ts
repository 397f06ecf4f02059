/** A log line format: a regular expression and the JSON key of each capture group. */
export interface LogFormat {
  pattern: RegExp;
  fields: readonly string[];
  /** Values written as `-` (Apache's "none") become null. */
  dashIsNull: boolean;
}

const QUOTED = '"((?:[^"\\\\]|\\\\.)*)"';
const COMMON = `^(\\S+) (\\S+) (\\S+) \\[([^\\]]+)\\] ${QUOTED} (\\d{3}|-) (\\d+|-)`;

/** The formats of the Kinesis agent's LOGTOJSON, with its field names. */
export const LOG_FORMATS: Readonly<Record<string, LogFormat>> = {
  COMMONAPACHELOG: {
    pattern: new RegExp(`${COMMON}\\s*$`),
    fields: ['host', 'ident', 'authuser', 'datetime', 'request', 'response', 'bytes'],
    dashIsNull: true,
  },
  COMBINEDAPACHELOG: {
    pattern: new RegExp(`${COMMON} ${QUOTED} ${QUOTED}\\s*$`),
    fields: ['host', 'ident', 'authuser', 'datetime', 'request', 'response', 'bytes', 'referer', 'agent'],
    dashIsNull: true,
  },
  // Apache 2.4 `[time] [module:level] [pid P:tid T] [client A] message` and 2.2 `[time] [level] [client A] message`.
  APACHEERRORLOG: {
    pattern: /^\[([^\]]+)\] \[(?:([^:\]]+):)?([^\]]+)\](?: \[pid (\d+)(?::tid (\d+))?\])?(?: \[client ([^\]]+)\])? ?(.*)$/,
    fields: ['timestamp', 'module', 'severity', 'processid', 'threadid', 'client', 'message'],
    dashIsNull: false,
  },
  // RFC 3164: optional <PRI>, `Mmm dd hh:mm:ss` (day space-padded), host, tag[pid]: message; runs of spaces tolerated.
  SYSLOG: {
    pattern: /^(?:<\d{1,3}>)?\s*([A-Z][a-z]{2} +\d{1,2} +\d{2}:\d{2}:\d{2}) +(\S+) +([^:[\s]+)(?:\[(\d+)\])?: ?(.*)$/,
    fields: ['timestamp', 'hostname', 'program', 'processid', 'message'],
    dashIsNull: false,
  },
};

/** RFC3164SYSLOG is the Kinesis agent's other name for SYSLOG. */
export function logFormat(name: string): LogFormat {
  return LOG_FORMATS[name === 'RFC3164SYSLOG' ? 'SYSLOG' : name]!;
}
