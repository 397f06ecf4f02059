import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One record as kcat's JSON envelope (`-J`) reports it. */
export interface KcatRecord {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  payload: string | null;
  headers: Record<string, string>;
}

/** Reads every record of `topic` from the beginning with kcat (an independent, librdkafka-based client). */
export async function kcatConsume(bootstrap: string, topic: string): Promise<KcatRecord[]> {
  const { stdout } = await run('kcat', ['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-J', '-q'], { maxBuffer: 64 * 1024 * 1024, timeout: 20000 });
  return stdout.split('\n').filter((line) => line.trim() !== '').map((line) => {
    const raw = JSON.parse(line) as { topic: string; partition: number; offset: number; key: string | null; payload: string | null; headers?: string[] };
    const headers: Record<string, string> = {};
    for (let i = 0; i + 1 < (raw.headers ?? []).length; i += 2) headers[raw.headers![i]!] = raw.headers![i + 1]!;
    return { topic: raw.topic, partition: raw.partition, offset: raw.offset, key: raw.key, payload: raw.payload, headers };
  });
}

/**
 * Produces each line as one record with kcat, every record with the given key and headers.
 * Resolves when kcat exited successfully (it flushes and waits for acks before exiting).
 */
export function kcatProduce(bootstrap: string, topic: string, lines: readonly string[], options: { key?: string; headers?: Record<string, string> } = {}): Promise<void> {
  const args = ['-P', '-b', bootstrap, '-t', topic, '-q'];
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push('-H', `${name}=${value}`);
  if (options.key !== undefined) args.push('-K', '\t');
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kcat -P exited with ${code}: ${stderr.trim()}`))));
    const prefix = options.key === undefined ? '' : `${options.key}\t`;
    child.stdin.end(lines.map((line) => `${prefix}${line}\n`).join(''));
  });
}

/** Produces one file's bytes as a single record (binary-safe), with kcat. */
export async function kcatProduceFile(bootstrap: string, topic: string, file: string): Promise<void> {
  await run('kcat', ['-P', '-b', bootstrap, '-t', topic, '-q', file], { timeout: 20000 });
}

/** The raw value bytes of the single record at `offset` of partition 0 (binary-safe). */
export async function kcatValueAt(bootstrap: string, topic: string, offset: number): Promise<Buffer> {
  const { stdout } = await run('kcat', ['-C', '-b', bootstrap, '-t', topic, '-p', '0', '-o', String(offset), '-c', '1', '-e', '-q', '-f', '%s'], { encoding: 'buffer', timeout: 20000 });
  return stdout;
}
