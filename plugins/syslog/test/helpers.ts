import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { SourceContext } from '@sluice/core';
import { createHarness, type SuiteHarness } from '@sluice/testkit';
import { syslogTcpSource, syslogUdpSource, type SyslogTcpSource, type SyslogTcpSourceConfig, type SyslogUdpSource, type SyslogUdpSourceConfig } from '../src/index.js';

export const run = promisify(execFile);

/** Runs util-linux `logger` with the given arguments and waits for it to exit. */
export async function logger(args: string[], input?: string): Promise<void> {
  if (input === undefined) {
    await run('logger', args, { timeout: 15000 });
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const child = execFile('logger', args, { timeout: 60000 }, (error) => (error ? reject(error) : resolve()));
    child.stdin!.end(input);
  });
}

export const TCP_DEFAULTS: Omit<SyslogTcpSourceConfig, 'port'> = {
  host: '127.0.0.1', eventSize: 2500, keepFields: 'none', clientIPHeader: '', clientHostnameHeader: '', structuredDataHeaders: false, batchSize: 100, ports: [], portHeader: '', maxConnections: 1000, idleTimeout: '10m', frameTimeout: '30s',
  tls: { enabled: false, cert: '', key: '', ca: '', requireClientCert: false },
};

export const UDP_DEFAULTS: Omit<SyslogUdpSourceConfig, 'port'> = {
  host: '127.0.0.1', eventSize: 2500, keepFields: 'none', clientIPHeader: '', clientHostnameHeader: '', structuredDataHeaders: false, batchSize: 100, maxPending: 10000, receiveBufferSize: '0',
};

/** A started syslog source delivering into a fresh memory channel. */
export interface Running<S> {
  source: S;
  harness: SuiteHarness;
  /** The source's context (its counters are `ctx.metrics`). */
  ctx: SourceContext;
  close(): Promise<void>;
}

export async function startTcp(config: Partial<SyslogTcpSourceConfig> = {}, capacity?: number): Promise<Running<SyslogTcpSource>> {
  const harness = await createHarness(capacity === undefined ? {} : { capacity });
  const ctx = harness.sourceContext('syslog-in');
  const source = syslogTcpSource.create({ ...TCP_DEFAULTS, port: 0, ...config }, ctx) as SyslogTcpSource;
  try {
    await source.start();
  } catch (error) {
    await harness.close();
    throw error;
  }
  return { source, harness, ctx, close: async () => { await source.stop(); await harness.close(); } };
}

export async function startUdp(config: Partial<SyslogUdpSourceConfig> = {}, capacity?: number): Promise<Running<SyslogUdpSource>> {
  const harness = await createHarness(capacity === undefined ? {} : { capacity });
  const ctx = harness.sourceContext('syslog-in');
  const source = syslogUdpSource.create({ ...UDP_DEFAULTS, port: 0, ...config }, ctx) as SyslogUdpSource;
  await source.start();
  return { source, harness, ctx, close: async () => { await source.stop(); await harness.close(); } };
}

