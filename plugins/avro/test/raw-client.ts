import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { NettyFrameDecoder, type NettyFrame } from '../src/index.js';

/** A bare TCP client for byte-level tests: writes what it is told, collects frames, notices close. */
export class RawClient {
  readonly frames: NettyFrame[] = [];
  readonly closed: Promise<void>;
  private readonly decoder = new NettyFrameDecoder({ maxFrameBytes: 1 << 20 });
  private wake: (() => void) | undefined;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.frames.push(...this.decoder.push(chunk));
      this.wake?.();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => {
      this.wake?.();
      resolve();
    }));
  }

  static async connect(port: number): Promise<RawClient> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new RawClient(socket);
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The next frame, or undefined when the server closed the connection first. */
  async nextFrame(): Promise<NettyFrame | undefined> {
    while (this.frames.length === 0) {
      if (this.socket.destroyed || this.socket.readableEnded) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    return this.frames.shift();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A self-signed certificate for localhost/127.0.0.1 made with the openssl CLI, as PEM and PKCS#12. */
export interface TestCertificate {
  dir: string;
  certFile: string;
  keyFile: string;
  /** Key and certificate in one PEM file (keystoreType: pem). */
  pemFile: string;
  /** PKCS#12 keystore protected by `password`. */
  p12File: string;
  password: string;
  cleanup(): void;
}

export function makeCertificate(): TestCertificate {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-avro-tls-'));
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  const pemFile = path.join(dir, 'keystore.pem');
  const p12File = path.join(dir, 'keystore.p12');
  const password = 'changeit';
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'pipe' });
  writeFileSync(pemFile, Buffer.concat([readFileSync(keyFile), readFileSync(certFile)]));
  execFileSync('openssl', ['pkcs12', '-export', '-in', certFile, '-inkey', keyFile, '-out', p12File, '-passout', `pass:${password}`], { stdio: 'pipe' });
  return { dir, certFile, keyFile, pemFile, p12File, password, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
