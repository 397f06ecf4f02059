import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { HttpStatusError } from './http-status-error.js';

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);

/**
 * Undoes a request's `Content-Encoding` (`gzip`, `x-gzip`, `deflate`, or none), refusing to
 * inflate past `maxBytes` (413, so a small compressed body cannot expand without bound), a
 * corrupt body (400) and unknown encodings (415).
 */
export async function decodeContent(body: Buffer, encoding: string | undefined, maxBytes: number): Promise<Buffer> {
  const name = (encoding ?? 'identity').trim().toLowerCase();
  if (name === 'identity' || name === '') return body;
  const decode = name === 'gzip' || name === 'x-gzip' ? gunzip : name === 'deflate' ? inflate : undefined;
  if (!decode) throw new HttpStatusError(415, 'UNSUPPORTED_ENCODING', `Content-Encoding '${encoding}' is not supported; send gzip, deflate or none`);
  try {
    return await decode(body, { maxOutputLength: maxBytes });
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new HttpStatusError(413, 'BODY_TOO_LARGE', `the body inflates to more than the limit (maxBodySize) of ${maxBytes} bytes`);
    }
    throw new HttpStatusError(400, 'BAD_REQUEST', `the ${name} body could not be decompressed: ${(error as Error).message}`);
  }
}
