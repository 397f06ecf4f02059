import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type tls from 'node:tls';
import { SluiceError } from '../errors.js';

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
 * Reads the PEM files of a TLS config into Node server options. Relative paths resolve against
 * the working directory. Throws SLUICE_COMPONENT_START naming the component and file on failure.
 */
export async function loadServerTls(config: ServerTlsConfig, component: string): Promise<tls.TlsOptions> {
  const read = async (key: 'cert' | 'key' | 'ca'): Promise<Buffer> => {
    const file = config[key];
    if (file === '') throw new SluiceError('SLUICE_COMPONENT_START', `${component}: tls.${key} is required when tls.enabled is true; set it to a PEM file`);
    try {
      return await readFile(path.resolve(file));
    } catch (error) {
      throw new SluiceError('SLUICE_COMPONENT_START', `${component}: cannot read tls.${key} file '${file}': ${(error as Error).message}`, { cause: error });
    }
  };
  const options: tls.TlsOptions = { cert: await read('cert'), key: await read('key') };
  if (config.requireClientCert && config.ca === '') {
    throw new SluiceError('SLUICE_COMPONENT_START', `${component}: tls.requireClientCert needs tls.ca, the CA that signs client certificates`);
  }
  if (config.ca !== '') options.ca = await read('ca');
  if (config.requireClientCert) {
    options.requestCert = true;
    options.rejectUnauthorized = true;
  }
  return options;
}
