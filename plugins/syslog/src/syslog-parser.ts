import { HEADER_MAP_PROTOTYPE, type SluiceEvent } from '@sluice/core';
import { addStructuredDataHeaders } from './structured-data.js';
import { bsdTimestampLength, parseBsdTimestamp, parseRfc3339, rfc3339Length } from './syslog-timestamp.js';
import { TokenCache, utf8Field } from './token-cache.js';

/** Header names, as Flume's syslog sources set them (plus the RFC 5424 fields). */
export const SYSLOG_HEADERS = {
  facility: 'Facility',
  severity: 'Severity',
  priority: 'priority',
  version: 'version',
  timestamp: 'timestamp',
  host: 'host',
  appName: 'appName',
  procId: 'procId',
  msgId: 'msgId',
  structuredData: 'structuredData',
  status: 'flume.syslog.status',
} as const;

/**
 * How much of the syslog header stays in the body, as Flume's `keepFields`: `none` (or `false`)
 * keeps only the message, `all` (or `true`) the raw line, and a list naming any of `priority`,
 * `version`, `timestamp`, `hostname` (`hostname timestamp`) puts those fields back in front of
 * the message, in syslog order.
 */
export type KeepFields = string;

/** The header fields a `keepFields` list can put back into the body. */
interface KeptFields {
  all: boolean;
  priority: boolean;
  version: boolean;
  timestamp: boolean;
  hostname: boolean;
}

/** Reads a Flume `keepFields` value; words are matched anywhere in the text, as Flume does. */
export function readKeepFields(value: string): KeptFields {
  const text = value.trim().toLowerCase();
  const none = { all: false, priority: false, version: false, timestamp: false, hostname: false };
  if (text === 'none' || text === 'false' || text === '') return none;
  if (text === 'all' || text === 'true') return { ...none, all: true };
  return {
    all: false, priority: text.includes('priority'), version: text.includes('version'), timestamp: text.includes('timestamp'), hostname: text.includes('hostname'),
  };
}

/** Options of a {@link SyslogParser}. */
export interface SyslogParserOptions {
  keepFields: KeepFields;
  /** Header that receives the sender's IP address; empty for none. */
  clientIPHeader: string;
  /** Also split RFC 5424 structured data into `sd.<id>.<param>` headers. */
  structuredDataHeaders?: boolean;
  /** The clock for the year of RFC 3164 stamps (tests pin it); defaults to Date.now. */
  now?: () => number;
}

const SP = 0x20;
const HT = 0x09;
const NUMBERS = Array.from({ length: 192 }, (_, i) => String(i));
const isDigit = (b: number | undefined): boolean => b !== undefined && b >= 0x30 && b <= 0x39;
const isSpace = (b: number | undefined): boolean => b === SP || b === HT;
/** Java's `\w`: ASCII letters, digits and `_`. */
const isWord = (b: number | undefined): boolean => b !== undefined && ((b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || isDigit(b) || b === 0x5f);
const isHex = (b: number): boolean => isDigit(b) || (b >= 0x61 && b <= 0x66) || (b >= 0x41 && b <= 0x46);
const latin1 = (buf: Buffer, start: number, end: number): string => buf.toString('latin1', start, end);
/**
 * The headers object of a parsed event: a header map (core's HEADER_MAP_PROTOTYPE, nothing
 * inherited), so a header named `__proto__` or `constructor` (clientIPHeader, a structured-data
 * name) is a header like any other, and the fields are laid out like an object literal's.
 */
const SyslogHeaders = function SyslogHeaders(this: Record<string, string>, facility: string, severity: string) {
  this.Facility = facility;
  this.Severity = severity;
} as unknown as new (facility: string, severity: string) => Record<string, string>;
SyslogHeaders.prototype = HEADER_MAP_PROTOTYPE;

/** The usual RFC 3164 line's headers (`Mmm dd hh:mm:ss host app[pid]: ...`), built in one go like a literal. */
const Rfc3164Headers = function Rfc3164Headers(this: Record<string, string>, facility: string, severity: string, timestamp: string, priority: string, host: string, appName: string, procId: string) {
  this.Facility = facility;
  this.Severity = severity;
  this.timestamp = timestamp;
  this.priority = priority;
  this.host = host;
  this.appName = appName;
  this.procId = procId;
} as unknown as new (facility: string, severity: string, timestamp: string, priority: string, host: string, appName: string, procId: string) => Record<string, string>;
Rfc3164Headers.prototype = HEADER_MAP_PROTOTYPE;

/** What a stamp that is `-` or not a valid time yields: no `timestamp` header. */
const NO_TIME = 'NaN';

/**
 * End of the host name at `start` as Flume's pattern `[\w][\w\d.@-]*` reads it, also accepting an
 * IPv6 address (hex digits, `:` and `.`, at least two colons), which Flume's pattern cannot read;
 * -1 when the token there is not a host name.
 */
function hostEnd(frame: Buffer, start: number, n: number): number {
  let p = start;
  let colons = 0;
  let hex = true;
  let word = start < n && isWord(frame[start]);
  while (p < n) {
    const b = frame[p]!;
    if (b === SP || b === HT) break;
    if (b === 0x3a) colons++;
    else if (!isHex(b) && b !== 0x2e) hex = false;
    if (word && !isWord(b) && b !== 0x2e && b !== 0x40 && b !== 0x2d) word = false;
    p++;
  }
  if (p === start || p === n) return -1;
  return (hex && colons >= 2) || (word && colons === 0) ? p : -1;
}

/**
 * Turns one syslog frame into an event the way Flume's syslogtcp and syslogudp sources do
 * (SyslogUtils): `<PRI>` gives Facility and Severity (and `priority`); then the frame must match
 * Flume's RFC 5424 form (`[VERSION[ ]]STAMP HOST BODY`, STAMP RFC 3339 or `-`, the version digit
 * optional) or its RFC 3164 form (`[VERSION[ ]]Mmm d hh:mm:ss HOST BODY`) to get `timestamp`,
 * `host` and `version`; the body is BODY (everything after the host name, so the RFC 5424
 * APP-NAME, PROCID, MSGID and structured data stay in it), with the `keepFields` fields put back
 * in front. As additions to Flume, the 3164 tag (`app[pid]:`) and the 5424 fields also become
 * `appName`, `procId`, `msgId` and `structuredData` headers when present.
 *
 * A frame with a `<PRI>` that matches neither form keeps the whole raw line (with `<PRI>`) as its
 * body and has no status. A frame without a valid `<PRI>` is kept whole with Facility and
 * Severity "0" and `flume.syslog.status: Invalid`; a frame cut at eventSize is parsed as far as it
 * goes and marked `Incomplete`.
 *
 * It reads the frame's bytes in place: the body is a view of the frame unless keepFields puts
 * fields back, and header fields become strings through caches, so repeated host/app names and
 * timestamps are decoded once. One parser per connection (the caches are not shared).
 */
export class SyslogParser {
  private readonly hosts = new TokenCache(utf8Field);
  private readonly apps = new TokenCache(utf8Field);
  private readonly msgIds = new TokenCache(utf8Field);
  private readonly procIds = new TokenCache(latin1);
  private readonly bsdTimes: TokenCache;
  private readonly isoTimes = new TokenCache((buf, start, end) => String(parseRfc3339(buf, start, end - start)));
  private readonly keep: KeptFields;
  // Where the pieces of the header just read lie (set by readHeader) and the tag just read (set
  // by readTag): fields rather than a result object, so a message allocates only what it keeps.
  private versionEnd = 0;
  private stampStart = 0;
  private stampEnd = 0;
  private hostStart = 0;
  private hostEnd = 0;
  private bodyStart = 0;
  /** A version digit and an RFC 3339 (or nil) stamp: the body starts with APP-NAME PROCID MSGID SD. */
  private rfc5424 = false;
  private tagApp: string | undefined;
  private tagProc: string | undefined;

  constructor(private readonly options: SyslogParserOptions) {
    this.keep = readKeepFields(options.keepFields);
    const now = options.now ?? Date.now;
    this.bsdTimes = new TokenCache((buf, start, end) => String(parseBsdTimestamp(buf, start, end - start, now())));
  }

  /** Parses `frame` (one message, no framing bytes); `clientIP` fills clientIPHeader when set. */
  parse(frame: Buffer, incomplete = false, clientIP = ''): SluiceEvent {
    return this.parseRange(frame, 0, frame.length, incomplete, clientIP);
  }

  /**
   * {@link parse} of the message `data[start, end)`, read in place: nothing outside the range is
   * read, and the body is a view of `data` (a copy only when keepFields puts fields back).
   */
  parseRange(data: Buffer, start: number, end: number, incomplete = false, clientIP = ''): SluiceEvent {
    const priEnd = readPri(data, start, end);
    const event = priEnd === 0
      ? { headers: invalidHeaders(), body: data.subarray(start, end) }
      : this.parseValid(data, start, end, priEnd);
    if (incomplete && priEnd !== 0) event.headers[SYSLOG_HEADERS.status] = 'Incomplete';
    if (this.options.clientIPHeader !== '' && clientIP !== '') event.headers[this.options.clientIPHeader] = clientIP;
    return event;
  }

  private parseValid(frame: Buffer, start: number, end: number, priEnd: number): SluiceEvent {
    let pri = 0;
    for (let i = start + 1; i < priEnd - 1; i++) pri = pri * 10 + frame[i]! - 0x30;
    const facility = NUMBERS[pri >> 3]!;
    const severity = NUMBERS[pri & 7]!;
    const timestamp = this.readHeader(frame, end, priEnd);
    if (timestamp === undefined) return { headers: new SyslogHeaders(facility, severity), body: frame.subarray(start, end) };
    const priority = NUMBERS[pri]!;
    const { hostStart, hostEnd: hostStop, bodyStart } = this;
    const hasVersion = this.versionEnd > priEnd;
    const host = frame[hostStart] === 0x2d && hostStop === hostStart + 1 ? undefined : this.hosts.get(frame, hostStart, hostStop);
    let headers: Record<string, string>;
    if (this.rfc5424) {
      headers = this.commonHeaders(facility, severity, timestamp, priority, hasVersion ? NUMBERS[frame[priEnd]! - 0x30]! : undefined, host);
      this.read5424Fields(frame, bodyStart, end, headers);
    } else {
      this.readTag(frame, bodyStart, end);
      const { tagApp: appName, tagProc: procId } = this;
      // The usual RFC 3164 line (`Mmm dd hh:mm:ss host app[pid]: ...`) gets its headers from one
      // constructor, which V8 lays out with room for every field; the others add them one by
      // one, in the same order.
      if (timestamp !== NO_TIME && !hasVersion && host !== undefined && appName !== undefined && procId !== undefined) {
        headers = new Rfc3164Headers(facility, severity, timestamp, priority, host, appName, procId);
      } else {
        headers = this.commonHeaders(facility, severity, timestamp, priority, hasVersion ? NUMBERS[frame[priEnd]! - 0x30]! : undefined, host);
        if (appName !== undefined) headers[SYSLOG_HEADERS.appName] = appName;
        if (procId !== undefined) headers[SYSLOG_HEADERS.procId] = procId;
      }
    }
    return { headers, body: this.body(frame, start, end, priEnd, hasVersion) };
  }

  /** Facility, Severity, then the header fields found, in Flume's order. */
  private commonHeaders(facility: string, severity: string, timestamp: string, priority: string, version: string | undefined, host: string | undefined): Record<string, string> {
    const headers = new SyslogHeaders(facility, severity);
    if (timestamp !== NO_TIME) headers[SYSLOG_HEADERS.timestamp] = timestamp;
    headers[SYSLOG_HEADERS.priority] = priority;
    if (version !== undefined) headers[SYSLOG_HEADERS.version] = version;
    if (host !== undefined) headers[SYSLOG_HEADERS.host] = host;
    return headers;
  }

  /** The body of a frame whose header matched (spans from {@link readHeader}), per keepFields. */
  private body(frame: Buffer, start: number, end: number, priEnd: number, hasVersion: boolean): Buffer {
    const { bodyStart } = this;
    // Flume keeps the raw line when the message after the host name is empty.
    if (this.keep.all || bodyStart >= end) return frame.subarray(start, end);
    const message = frame.subarray(bodyStart, end);
    const { keep } = this;
    if (!(keep.priority || keep.version || keep.timestamp || keep.hostname)) return message;
    const parts: Buffer[] = [];
    if (keep.priority) parts.push(frame.subarray(start, priEnd));
    if (keep.version && hasVersion) parts.push(frame.subarray(priEnd, priEnd + 1), Buffer.from(' '));
    if (keep.timestamp) parts.push(frame.subarray(this.stampStart, this.stampEnd), Buffer.from(' '));
    if (keep.hostname) parts.push(frame.subarray(this.hostStart, this.hostEnd), Buffer.from(' '));
    parts.push(message);
    return Buffer.concat(parts);
  }

  /**
   * Matches Flume's two header forms after `<PRI>`: returns the `timestamp` header value
   * ({@link NO_TIME} when the stamp is `-` or not a valid time) and leaves the spans of the
   * header in the parser's fields; undefined when neither form matches.
   */
  private readHeader(frame: Buffer, n: number, priEnd: number): string | undefined {
    let p = priEnd;
    let versionEnd = priEnd;
    // `(\d?)\s?`: a version digit only when the stamp does not start right there.
    if (p < n && isDigit(frame[p]) && !(p + 1 < n && isDigit(frame[p + 1]))) versionEnd = ++p;
    if (p < n && isSpace(frame[p])) p++;
    if (p >= n) return undefined;
    const stampStart = p;
    let stampEnd: number;
    let ms = NO_TIME;
    const first = frame[p];
    const iso = first === 0x2d || isDigit(first);
    if (first === 0x2d) {
      stampEnd = p + 1;
    } else if (iso) {
      stampEnd = p + rfc3339Length(frame, p, n);
      if (stampEnd > p) ms = this.isoTimes.get(frame, p, stampEnd);
    } else {
      stampEnd = p + bsdTimestampLength(frame, p, n);
      if (stampEnd > p) ms = this.bsdTimes.get(frame, p, stampEnd);
    }
    if (stampEnd === p || stampEnd >= n || !isSpace(frame[stampEnd])) return undefined;
    const hostStart = stampEnd + 1;
    const end = iso && hostStart + 1 < n && frame[hostStart] === 0x2d && isSpace(frame[hostStart + 1]) ? hostStart + 1 : hostEnd(frame, hostStart, n);
    if (end < 0) return undefined;
    this.versionEnd = versionEnd;
    this.stampStart = stampStart;
    this.stampEnd = stampEnd;
    this.hostStart = hostStart;
    this.hostEnd = end;
    this.bodyStart = end + 1;
    this.rfc5424 = iso && versionEnd > priEnd;
    return ms;
  }

  /** Reads `APP PROCID MSGID SD` at the start of an RFC 5424 body into headers, when it has that shape. */
  private read5424Fields(frame: Buffer, start: number, n: number, headers: Record<string, string>): void {
    let p = start;
    const fields: [number, number][] = [];
    for (let f = 0; f < 3; f++) {
      const sp = p < n ? frame.indexOf(SP, p) : -1;
      if (sp < 0 || sp >= n || sp === p) return;
      fields.push([p, sp]);
      p = sp + 1;
    }
    let sdEnd: number;
    if (p >= n) return;
    if (frame[p] === 0x2d) sdEnd = p + 1;
    else if (frame[p] === 0x5b) sdEnd = skipStructuredData(frame, p, n);
    else return;
    if (sdEnd < 0 || (sdEnd < n && frame[sdEnd] !== SP)) return;
    const [app, proc, msgId] = fields as [[number, number], [number, number], [number, number]];
    if (!isNil(frame, app)) headers[SYSLOG_HEADERS.appName] = this.apps.get(frame, app[0], app[1]);
    if (!isNil(frame, proc)) headers[SYSLOG_HEADERS.procId] = this.procIds.get(frame, proc[0], proc[1]);
    if (!isNil(frame, msgId)) headers[SYSLOG_HEADERS.msgId] = this.msgIds.get(frame, msgId[0], msgId[1]);
    if (frame[p] === 0x5b) {
      const sd = frame.toString('utf8', p, sdEnd);
      headers[SYSLOG_HEADERS.structuredData] = sd;
      if (this.options.structuredDataHeaders) addStructuredDataHeaders(sd, headers);
    }
  }

  /** Reads `app[pid]:` or `app:` at the start of a 3164 message into tagApp/tagProc. */
  private readTag(frame: Buffer, start: number, n: number): void {
    this.tagApp = undefined;
    this.tagProc = undefined;
    const limit = Math.min(n, start + 64);
    for (let i = start; i < limit; i++) {
      const b = frame[i]!;
      if (b === 0x3a) {
        if (i > start) this.tagApp = this.apps.get(frame, start, i);
        return;
      }
      if (b === 0x5b) {
        const close = frame.indexOf(0x5d, i);
        if (close < 0 || close >= n || close > limit || i === start) return;
        this.tagApp = this.apps.get(frame, start, i);
        this.tagProc = this.procIds.get(frame, i + 1, close);
        return;
      }
      if (b === SP) return;
    }
  }
}

/** Position after a valid `<PRI>` (1-3 digits, at most 191) at the start of frame[start, end), or 0. */
function readPri(frame: Buffer, start: number, end: number): number {
  if (start >= end || frame[start] !== 0x3c) return 0;
  let pri = 0;
  let p = start + 1;
  const last = Math.min(start + 3, end - 1);
  while (p <= last && isDigit(frame[p])) pri = pri * 10 + frame[p++]! - 0x30;
  if (p === start + 1 || p >= end || frame[p] !== 0x3e || pri > 191) return 0;
  return p + 1;
}

function isNil(frame: Buffer, [start, end]: [number, number]): boolean {
  return end - start === 1 && frame[start] === 0x2d;
}

/** Skips RFC 5424 SD-ELEMENTs (`[id k="v" ...]...`) honouring quotes and `\"`, `\]` escapes; -1 if unterminated. */
function skipStructuredData(frame: Buffer, start: number, n: number): number {
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

function invalidHeaders(): Record<string, string> {
  const headers = new SyslogHeaders('0', '0');
  headers[SYSLOG_HEADERS.status] = 'Invalid';
  return headers;
}
