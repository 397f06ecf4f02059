import { HttpStatusError } from './http-status-error.js';

/** A text encoding the HTTP source accepts (Flume's JSONHandler allows UTF-8, UTF-16 and UTF-32; UTF-32 is not supported here). */
export interface Charset {
  readonly name: string;
  decode(bytes: Buffer): string;
  encode(text: string): Buffer;
}

/** UTF-8; a byte order mark some clients put first is skipped (JSON.parse would refuse it). */
const utf8: Charset = {
  name: 'utf-8',
  decode: (b) => (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? b.toString('utf8', 3) : b.toString('utf8')),
  encode: (t) => Buffer.from(t, 'utf8'),
};
const utf16le: Charset = { name: 'utf-16le', decode: (b) => b.toString('utf16le'), encode: (t) => Buffer.from(t, 'utf16le') };
const utf16be: Charset = {
  name: 'utf-16be',
  decode: (b) => new TextDecoder('utf-16be').decode(b),
  encode: (t) => Buffer.from(t, 'utf16le').swap16(),
};

/** A UTF-16 body without a byte order mark is big-endian (RFC 2781); with one, the mark decides. */
const utf16: Charset = {
  name: 'utf-16',
  decode: (b) => (b[0] === 0xff && b[1] === 0xfe ? utf16le.decode(b.subarray(2)) : utf16be.decode(b[0] === 0xfe && b[1] === 0xff ? b.subarray(2) : b)),
  encode: utf16be.encode,
};

const CHARSETS: Record<string, Charset> = { 'utf-8': utf8, utf8, 'utf-16': utf16, 'utf-16le': utf16le, 'utf-16be': utf16be };

/** The charset named by a Content-Type header (`application/json; charset=UTF-16`), UTF-8 by default. */
export function charsetOf(contentType: string | undefined): Charset {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '');
  if (!match) return utf8;
  const name = match[1]!.toLowerCase();
  const charset = Object.hasOwn(CHARSETS, name) ? CHARSETS[name] : undefined;
  if (!charset) throw new HttpStatusError(415, 'UNSUPPORTED_CHARSET', `charset '${match[1]}' is not supported; send UTF-8 or UTF-16`);
  return charset;
}
