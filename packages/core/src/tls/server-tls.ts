import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type tls from 'node:tls';
import { SluiceError } from '../errors.js';
import { throwConfigProblems, type Problem } from '../problem.js';

/** TLS settings of a server component (the `tls` key of syslog_tcp, http, ...). */
export interface ServerTlsConfig {
  enabled: boolean;
  cert: string;
  key: string;
  ca: string;
  requireClientCert: boolean;
}

/**
 * JSON Schema of {@link ServerTlsConfig}, with defaults (TLS off). `description` says what TLS
 * means for the component (e.g. HTTPS, RFC 5425 syslog).
 */
export function serverTlsSchema(description: string) {
  return {
    type: 'object',
    additionalProperties: false,
    // ajv fills the inner defaults into this empty object.
    default: {} as ServerTlsConfig,
    description,
    properties: {
      enabled: { type: 'boolean', default: false, description: 'Accept TLS connections instead of plain TCP.' },
      cert: { type: 'string', default: '', description: 'PEM file with the server certificate (chain); required when enabled.' },
      key: { type: 'string', default: '', description: 'PEM file with the server private key; required when enabled.' },
      ca: { type: 'string', default: '', description: 'PEM file with the CA certificates client certificates must chain to.' },
      requireClientCert: { type: 'boolean', default: false, description: 'Refuse clients without a certificate signed by `ca`.' },
    },
    required: ['enabled', 'cert', 'key', 'ca', 'requireClientCert'],
  } as const;
}

/**
 * The mistakes of a component's `tls` settings that show without reading any file, with paths
 * relative to the component's config (`/tls/cert`). Pure; the `check` of every component using
 * {@link serverTlsSchema} returns these, and {@link loadServerTls} throws them at start.
 */
export function serverTlsProblems(config: ServerTlsConfig): Problem[] {
  const problems: Problem[] = [];
  if (!config.enabled) {
    if (config.requireClientCert) {
      problems.push({ path: '/tls/requireClientCert', message: 'tls.requireClientCert is true but tls.enabled is false, so no client certificate would be checked; set tls.enabled: true (with cert, key and ca)' });
    }
    return problems;
  }
  for (const key of ['cert', 'key'] as const) {
    if (config[key] === '') problems.push({ path: `/tls/${key}`, message: `tls.${key} is required when tls.enabled is true; set it to a PEM file` });
  }
  if (config.requireClientCert && config.ca === '') {
    problems.push({ path: '/tls/ca', message: 'tls.requireClientCert needs tls.ca, the CA that signs client certificates' });
  }
  return problems;
}

/**
 * Reads the PEM files of an enabled TLS config into Node server options. Relative paths resolve
 * against the working directory. Throws SLUICE_CONFIG_INVALID for {@link serverTlsProblems} and
 * SLUICE_COMPONENT_START for a file that cannot be read, naming the component and file.
 */
export async function loadServerTls(config: ServerTlsConfig, component: string): Promise<tls.TlsOptions> {
  throwConfigProblems(serverTlsProblems(config), component);
  const read = async (key: 'cert' | 'key' | 'ca'): Promise<Buffer> => {
    const file = config[key];
    try {
      return await readFile(path.resolve(file));
    } catch (error) {
      throw new SluiceError('SLUICE_COMPONENT_START', `${component}: cannot read tls.${key} file '${file}': ${(error as Error).message}`, { cause: error });
    }
  };
  // TLS 1.2 at least, whatever node's --tls-min-v1.x flags say.
  const options: tls.TlsOptions = { cert: await read('cert'), key: await read('key'), minVersion: 'TLSv1.2' };
  if (config.ca !== '') options.ca = await read('ca');
  if (config.requireClientCert) {
    options.requestCert = true;
    options.rejectUnauthorized = true;
  }
  return options;
}
