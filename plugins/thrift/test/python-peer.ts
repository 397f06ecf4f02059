import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The independent Thrift peer: Debian's `thrift` compiler generates Python code from Flume's IDL
 * (test/fixtures/flume.thrift, verbatim) at test time, and python3-thrift runs it. Debian's python
 * (/usr/bin/python3) is used because a python3 earlier on PATH (pyenv) lacks the Debian module.
 */
const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/fixtures');
const PYTHON = '/usr/bin/python3';

/** Python code generated from Flume's IDL into a temporary directory. */
export class GeneratedPeer {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-thrift-py-'));
  private readonly children = new Set<ChildProcess>();

  constructor() {
    for (const idl of ['flume.thrift', 'flume_extended.thrift']) {
      execFileSync('thrift', ['--gen', 'py', '-out', this.dir, path.join(FIXTURES, idl)], { stdio: 'pipe' });
    }
  }

  /** Runs one of the fixture scripts with the generated code on PYTHONPATH. */
  run(script: 'flume_client.py' | 'flume_server.py' | 'flume_encode.py', args: string[]): ChildProcess {
    const child = spawn(PYTHON, [path.join(FIXTURES, script), ...args], {
      env: { ...process.env, PYTHONPATH: this.dir, PYTHONUNBUFFERED: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /**
   * The bytes of an appendBatch call (seqid 0, unframed) as the generated python client writes them;
   * `extended`: by the client of flume_extended.thrift, with every extra field set.
   */
  async encode(protocol: string, events: { headers: Record<string, string>; body: Buffer }[], extended = false): Promise<Buffer> {
    const child = this.run('flume_encode.py', [protocol, ...(extended ? ['extended'] : [])]);
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.stdin!.end(JSON.stringify(events.map((e) => ({ headers: e.headers, body: e.body.toString('hex') }))));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`flume_encode.py exited with ${code}: ${err}`);
    return Buffer.from(out.trim(), 'hex');
  }

  /** Runs the python client on `batches`; resolves the statuses it got per batch. */
  async send(port: number, protocol: string, batches: { headers: Record<string, string>; body: string }[][], ca?: string): Promise<string[][]> {
    const child = this.run('flume_client.py', ['127.0.0.1', String(port), protocol, ...(ca ? [ca] : [])]);
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.stdin!.end(JSON.stringify(batches));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`python thrift client exited with ${code}: ${err}`);
    return out.trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { statuses: string[] }).statuses);
  }

  /** Starts the python server on `port` (default: a free one), with TLS when `pem` (key and certificate) is given; `received` collects the events it accepted. */
  async serve(protocol: string, failFirst = 0, port?: number, pem?: string): Promise<{ port: number; received: { headers: Record<string, string>; body: string }[]; child: ChildProcess }> {
    port ??= await freePort();
    const child = this.run('flume_server.py', [String(port), protocol, String(failFirst), ...(pem ? [pem] : [])]);
    const received: { headers: Record<string, string>; body: string }[] = [];
    let buffered = '';
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`python thrift server exited with ${code}: ${err}`)));
      child.stdout!.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        let i;
        while ((i = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, i);
          buffered = buffered.slice(i + 1);
          if (line === 'LISTENING') resolve();
          else received.push(JSON.parse(line) as { headers: Record<string, string>; body: string });
        }
      });
    });
    return { port, received, child };
  }

  /** Kills every process this peer started and removes the generated code. */
  async cleanup(): Promise<void> {
    await Promise.all([...this.children].map((child) => new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    })));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
