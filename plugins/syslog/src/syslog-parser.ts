import type { SluiceEvent } from '@sluice/core';
import { addStructuredDataHeaders } from './structured-data.js';
import { BSD_TIMESTAMP_LENGTH, parseBsdTimestamp, parseRfc3339 } from './syslog-timestamp.js';
import { TokenCache, utf8Field } from './token-cache.js';

/** Header names, as Flume's syslog sources set them (plus the RFC 5424 fields). */
export const SYSLOG_HEADERS = {
  facility: 'Facility',
  severity: 'Severity',
  timestamp: 'timestamp',
  host: 'host',
  appName: 'appName',
  procId: 'procId',
  msgId: 'msgId',
  structuredData: 'structuredData',
  status: 'flume.syslog.status',
} as const;

/** How much of the syslog header stays in the body: `none` keeps only the message, `all` the raw line. */
export type KeepFields = 'none' | 'all';

/** Options of a {@link SyslogParser}. */
export interface SyslogParserOptions {
  keepFields: KeepFields;
  /** Header that receives the sender's IP address; empty for none. */
  clientIPHeader: string;
  /** Also split RFC 5424 structured data into `sd.<id>.<param>` headers. */
  structuredDataHeaders?: boolean;
}

const SP = 0x20;
const NUMBERS = Array.from({ length: 192 }, (_, i) => String(i));
const isDigit = (b: number | undefined): boolean => b !== undefined && b >= 0x30 && b <= 0x39;
const latin1 = (buf: Buffer, start: number, end: number): string => buf.toString('latin1', start, end);

/**
 * Turns one syslog frame into an event, detecting RFC 5424 (`<PRI>1 ...`) or RFC 3164
 * (`<PRI>Mmm dd hh:mm:ss host tag: msg`) per message. It reads the frame's bytes in place: the
 * body is a view of the frame (never decoded), and only header fields become strings, through
 * caches so repeated host/app names and timestamps are decoded once.
 *
 * A frame without a valid `<PRI>` (or a 5424 frame missing fields) is kept whole with
 * `flume.syslog.status: Invalid`; a frame cut at eventSize is parsed as far as it goes and marked
 * `Incomplete`. RFC 3164 is read leniently, like rsyslog: a missing timestamp means the rest is
 * the message. One parser per connection (the caches are not shared).
 */
export class SyslogParser {
  private readonly hosts = new TokenCache(utf8Field);
  private readonly apps = new TokenCache(utf8Field);
  private readonly msgIds = new TokenCache(utf8Field);
  private readonly procIds = new TokenCache(latin1);
  private readonly bsdTimes = new TokenCache((buf, start) => String(parseBsdTimestamp(buf, start)));
  private readonly isoTimes = new TokenCache((buf, start, end) => String(parseRfc3339(buf, start, end)));

  constructor(private readonly options: SyslogParserOptions) {}

  /** Parses `frame` (one message, no framing bytes); `clientIP` fills clientIPHeader when set. */
  parse(frame: Buffer, incomplete = false, clientIP = ''): SluiceEvent {
    const headers: Record<string, string> = {};
    let body = this.parseInto(frame, headers);
    if (body === undefined) {
      headers[SYSLOG_HEADERS.status] = 'Invalid';
      body = frame;
    } else if (this.options.keepFields === 'all') {
      body = frame;
    }
    if (incomplete) headers[SYSLOG_HEADERS.status] = 'Incomplete';
    if (this.options.clientIPHeader !== '' && clientIP !== '') headers[this.options.clientIPHeader] = clientIP;
    return { headers, body };
  }

  /** Fills the headers and returns the message part, or undefined when the frame is invalid. */
  private parseInto(frame: Buffer, headers: Record<string, string>): Buffer | undefined {
    const n = frame.length;
    if (n < 3 || frame[0] !== 0x3c) return undefined;
    let pri = 0;
    let p = 1;
    while (p < n && p <= 3 && isDigit(frame[p])) pri = pri * 10 + frame[p++]! - 0x30;
    if (p === 1 || frame[p] !== 0x3e || pri > 191) return undefined;
    p++;
    headers[SYSLOG_HEADERS.facility] = NUMBERS[pri >> 3]!;
    headers[SYSLOG_HEADERS.severity] = NUMBERS[pri & 7]!;
    if (isDigit(frame[p]) && frame[p] !== 0x30 && frame[p + 1] === SP) return this.parse5424(frame, p + 2, headers);
    return this.parse3164(frame, p, headers);
  }

  private parse5424(frame: Buffer, start: number, headers: Record<string, string>): Buffer | undefined {
    const n = frame.length;
    let p = start;
    const fields: [number, number][] = [];
    for (let f = 0; f < 5; f++) {
      const sp = frame.indexOf(SP, p);
      if (sp < 0 || sp === p) return undefined;
      fields.push([p, sp]);
      p = sp + 1;
    }
    const [ts, host, app, proc, msgId] = fields as [[number, number], [number, number], [number, number], [number, number], [number, number]];
    if (!isNil(frame, ts)) {
      const ms = this.isoTimes.get(frame, ts[0], ts[1]);
      if (ms === 'NaN') return undefined;
      headers[SYSLOG_HEADERS.timestamp] = ms;
    }
    if (!isNil(frame, host)) headers[SYSLOG_HEADERS.host] = this.hosts.get(frame, host[0], host[1]);
    if (!isNil(frame, app)) headers[SYSLOG_HEADERS.appName] = this.apps.get(frame, app[0], app[1]);
    if (!isNil(frame, proc)) headers[SYSLOG_HEADERS.procId] = this.procIds.get(frame, proc[0], proc[1]);
    if (!isNil(frame, msgId)) headers[SYSLOG_HEADERS.msgId] = this.msgIds.get(frame, msgId[0], msgId[1]);
    if (p >= n) return undefined;
    if (frame[p] === 0x2d) {
      p++;
    } else if (frame[p] === 0x5b) {
      const sdStart = p;
      p = skipStructuredData(frame, p);
      if (p < 0) return undefined;
      const sd = frame.toString('utf8', sdStart, p);
      headers[SYSLOG_HEADERS.structuredData] = sd;
      if (this.options.structuredDataHeaders) addStructuredDataHeaders(sd, headers);
    } else {
      return undefined;
    }
    if (p < n) {
      if (frame[p] !== SP) return undefined;
      p++;
      if (frame[p] === 0xef && frame[p + 1] === 0xbb && frame[p + 2] === 0xbf) p += 3;
    }
    return frame.subarray(p);
  }

  private parse3164(frame: Buffer, start: number, headers: Record<string, string>): Buffer {
    const n = frame.length;
    let p = start;
    let stamped = false;
    if (n >= p + BSD_TIMESTAMP_LENGTH + 1 && frame[p + BSD_TIMESTAMP_LENGTH] === SP) {
      const ms = this.bsdTimes.get(frame, p, p + BSD_TIMESTAMP_LENGTH);
      if (ms !== 'NaN') {
        headers[SYSLOG_HEADERS.timestamp] = ms;
        p += BSD_TIMESTAMP_LENGTH + 1;
        stamped = true;
      }
    }
    if (!stamped && isDigit(frame[p]) && frame[p + 4] === 0x2d) {
      // rsyslog's high-precision forward format puts an RFC 3339 stamp in the 3164 layout.
      const sp = frame.indexOf(SP, p);
      const ms = sp < 0 ? 'NaN' : this.isoTimes.get(frame, p, sp);
      if (ms !== 'NaN') {
        headers[SYSLOG_HEADERS.timestamp] = ms;
        p = sp + 1;
        stamped = true;
      }
    }
    if (stamped) {
      const sp = frame.indexOf(SP, p);
      if (sp > p) {
        headers[SYSLOG_HEADERS.host] = this.hosts.get(frame, p, sp);
        p = sp + 1;
      }
    }
    this.readTag(frame, p, headers);
    return frame.subarray(p);
  }

  /** Reads `app[pid]:` or `app:` at the start of a 3164 message into appName/procId. */
  private readTag(frame: Buffer, start: number, headers: Record<string, string>): void {
    const limit = Math.min(frame.length, start + 64);
    for (let i = start; i < limit; i++) {
      const b = frame[i]!;
      if (b === 0x3a) {
        if (i > start) headers[SYSLOG_HEADERS.appName] = this.apps.get(frame, start, i);
        return;
      }
      if (b === 0x5b) {
        const close = frame.indexOf(0x5d, i);
        if (close < 0 || close > limit || i === start) return;
        headers[SYSLOG_HEADERS.appName] = this.apps.get(frame, start, i);
        headers[SYSLOG_HEADERS.procId] = this.procIds.get(frame, i + 1, close);
        return;
      }
      if (b === SP) return;
    }
  }
}

function isNil(frame: Buffer, [start, end]: [number, number]): boolean {
  return end - start === 1 && frame[start] === 0x2d;
}

/** Skips RFC 5424 SD-ELEMENTs (`[id k="v" ...]...`) honouring quotes and `\"`, `\]` escapes; -1 if unterminated. */
function skipStructuredData(frame: Buffer, start: number): number {
  const n = frame.length;
  let p = start;
  while (p < n && frame[p] === 0x5b) {
    p++;
    let quoted = false;
    for (;;) {
      if (p >= n) return -1;
      const b = frame[p]!;
      if (quoted) {
        if (b === 0x5c) p++;
        else if (b === 0x22) quoted = false;
      } else if (b === 0x22) {
        quoted = true;
      } else if (b === 0x5d) {
        break;
      }
      p++;
    }
    p++;
  }
  return p;
}
