import { randomUUID } from 'node:crypto';
import { WebHdfsTestServer } from '@sluice/testkit';
import { WebHdfsClient } from '../src/index.js';

/**
 * The WebHDFS endpoint a test writes to: a real one when WEBHDFS_URL is set (with
 * WEBHDFS_USER), otherwise the testkit's WebHDFS test server. Each peer works under its own
 * root directory so runs against a shared cluster do not collide.
 */
export interface HdfsPeer {
  url: string;
  user: string;
  root: string;
  client: WebHdfsClient;
  /** The local test server, absent against a real endpoint (failure injection needs it). */
  server?: WebHdfsTestServer;
  /** Every file path under `dir`, recursively. */
  files(dir?: string): Promise<string[]>;
  close(): Promise<void>;
}

export async function startHdfsPeer(): Promise<HdfsPeer> {
  const real = process.env.WEBHDFS_URL;
  const server = real ? undefined : await WebHdfsTestServer.start();
  const url = real ?? server!.url;
  const user = process.env.WEBHDFS_USER ?? 'sluice';
  const root = `/tmp/sluice-test-${randomUUID()}`;
  const client = new WebHdfsClient({ url, user, timeoutMs: 10000 });
  const files = async (dir = root): Promise<string[]> => {
    const status = await client.status(dir);
    if (!status) return [];
    if (status.type === 'FILE') return [dir];
    const out: string[] = [];
    for (const entry of await client.list(dir)) out.push(...(await files(`${dir}/${entry.pathSuffix}`)));
    return out.sort();
  };
  return {
    url, user, root, client, server, files,
    async close() {
      if (real) await client.delete(root, true).catch(() => undefined);
      await server?.close();
    },
  };
}
