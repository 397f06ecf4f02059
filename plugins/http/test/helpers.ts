import { spawn } from 'node:child_process';
import { createHarness, type SuiteHarness } from '@sluice/testkit';
import { httpSource, type HttpSource, type HttpSourceConfig } from '../src/index.js';

/** What curl reported: the HTTP status (0 when no response), the body and curl's stderr (-v). */
export interface CurlResult {
  status: number;
  body: string;
  stderr: string;
}

/**
 * Runs curl; the response body and status come back separately (-w). `input` is piped to
 * `--data-binary @-` when the args ask for it.
 */
export function curl(args: string[], input?: Buffer | string): Promise<CurlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('curl', ['-s', '-S', '-o', '-', '-w', '\n%{http_code}', '--max-time', '15', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', () => {
      const text = Buffer.concat(out).toString('utf8');
      const cut = text.lastIndexOf('\n');
      resolve({ status: Number(text.slice(cut + 1)), body: text.slice(0, cut), stderr });
    });
    child.stdin.end(input ?? '');
  });
}

export const SOURCE_DEFAULTS: Omit<HttpSourceConfig, 'port'> = {
  bind: '127.0.0.1', handler: 'json', maxBodySize: '16MiB', maxEventsPerRequest: 10000, maxPendingBytes: '64MiB', maxConnections: 1000,
  authToken: '', keepAliveTimeout: '5s', headersTimeout: '10s', requestTimeout: '30s',
  tls: { enabled: false, cert: '', key: '', ca: '', requireClientCert: false },
};

/** A started http source delivering into a fresh memory channel. */
export interface RunningSource {
  source: HttpSource;
  harness: SuiteHarness;
  url: string;
  close(): Promise<void>;
}

export async function startSource(config: Partial<HttpSourceConfig> = {}, capacity?: number): Promise<RunningSource> {
  const harness = await createHarness(capacity === undefined ? {} : { capacity });
  const source = httpSource.create({ ...SOURCE_DEFAULTS, port: 0, ...config }, harness.sourceContext('http-in')) as HttpSource;
  await source.start();
  const scheme = config.tls?.enabled ? 'https' : 'http';
  return { source, harness, url: `${scheme}://127.0.0.1:${source.port}/`, close: async () => { await source.stop(); await harness.close(); } };
}

/** A Flume JSONHandler body for the given bodies. */
export const flumeBatch = (bodies: string[], headers: Record<string, string> = {}): string =>
  JSON.stringify(bodies.map((body) => ({ headers, body })));
