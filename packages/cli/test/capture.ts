import { Writable } from 'node:stream';

/** A writable stream that keeps what was written, for checking CLI output. */
export class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}
