import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { errorCode } from '../errors.js';
import type { Logger } from '../logger.js';

/**
 * A component serving TLS whose certificate files can be re-read while it runs. The agent calls
 * `reloadTls` on every running component that has it when it receives SIGHUP (see the CLI's
 * `sluice agent`), besides reloading the topology file.
 */
export interface TlsReloadable {
  /**
   * Re-reads the certificate, key (and CA) files named in the component's config and serves them
   * to new connections; connections already open keep the certificate they were opened with.
   * Never rejects: a file that cannot be read or parsed, or a key that does not match its
   * certificate, is logged as an error and the certificate served so far stays.
   */
  reloadTls(): Promise<TlsReloadOutcome>;
}

/** What a {@link TlsReloadable.reloadTls} did: applied new files, kept the old ones (bad files), or nothing (TLS off or not listening). */
export type TlsReloadOutcome = 'reloaded' | 'kept' | 'off';

/** True when `component` implements {@link TlsReloadable}. */
export function isTlsReloadable(component: unknown): component is TlsReloadable {
  return typeof (component as Partial<TlsReloadable> | undefined)?.reloadTls === 'function';
}

/**
 * The shared body of every {@link TlsReloadable.reloadTls}: reads fresh options with `load` (the
 * same function the component used at start), checks them by building a secure context (a bad
 * PEM, a wrong passphrase or a key that does not match the certificate throws here, before
 * anything changes), then swaps them into each server with `setSecureContext`. Logs one line
 * either way, naming `component` and, when it can be read, the new certificate's SHA-256
 * fingerprint and expiry. Resolves `off` without reading anything when `servers` is empty.
 */
export async function reloadServerTls(
  servers: readonly tls.Server[],
  load: () => tls.SecureContextOptions | Promise<tls.SecureContextOptions>,
  logger: Logger,
  component: string,
): Promise<TlsReloadOutcome> {
  if (servers.length === 0) return 'off';
  let options: tls.SecureContextOptions;
  try {
    options = await load();
    tls.createSecureContext(options);
  } catch (error) {
    logger.error({ err: error, code: errorCode(error) }, `${component}: TLS certificate reload failed, still serving the previous certificate: ${(error as Error).message}`);
    return 'kept';
  }
  for (const server of servers) server.setSecureContext(options);
  logger.info(describeCertificate(options.cert), `${component}: TLS certificate reloaded; new connections get it`);
  return 'reloaded';
}

/** Fingerprint and expiry of the first PEM certificate in `cert`, for the log; {} when there is none (PKCS#12). */
function describeCertificate(cert: tls.SecureContextOptions['cert']): Record<string, string> {
  const first = Array.isArray(cert) ? cert[0] : cert;
  if (first === undefined || typeof first === 'object' && !Buffer.isBuffer(first)) return {};
  try {
    const x509 = new X509Certificate(first);
    return { fingerprint256: x509.fingerprint256, validTo: x509.validTo };
  } catch {
    return {};
  }
}
