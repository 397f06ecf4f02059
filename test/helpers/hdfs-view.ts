import { WebHdfsTestServer } from '@sluice/testkit';

/**
 * Read access to the HDFS a test writes to: the testkit WebHDFS test server, or a real cluster
 * when WEBHDFS_URL is set (read with plain WebHDFS calls, WEBHDFS_USER as user.name).
 */
export interface HdfsView {
  url: string;
  user: string;
  /** Every file under `root`, recursively, sorted. */
  listFiles(root: string): Promise<string[]>;
  read(path: string): Promise<Buffer>;
  close(): Promise<void>;
}

export async function openHdfsView(): Promise<HdfsView> {
  const real = process.env.WEBHDFS_URL;
  const user = process.env.WEBHDFS_USER ?? 'sluice';
  if (!real) {
    const server = await WebHdfsTestServer.start({ requireUser: true });
    return {
      url: server.url, user,
      listFiles: async (root) => server.listFiles(root),
      read: async (path) => server.readFile(path) ?? Buffer.alloc(0),
      close: () => server.close(),
    };
  }
  const base = `${real.replace(/\/+$/, '')}/webhdfs/v1`;
  const url = (path: string, op: string): string => `${base}${path.split('/').map(encodeURIComponent).join('/')}?op=${op}&user.name=${encodeURIComponent(user)}`;
  const listFiles = async (root: string): Promise<string[]> => {
    const res = await fetch(url(root, 'LISTSTATUS'));
    if (res.status === 404) return [];
    const { FileStatuses } = (await res.json()) as { FileStatuses: { FileStatus: { pathSuffix: string; type: string }[] } };
    const out: string[] = [];
    for (const s of FileStatuses.FileStatus) {
      const child = s.pathSuffix ? `${root}/${s.pathSuffix}` : root;
      if (s.type === 'DIRECTORY') out.push(...(await listFiles(child)));
      else out.push(child);
    }
    return out.sort();
  };
  return {
    url: real, user, listFiles,
    read: async (path) => Buffer.from(await (await fetch(url(path, 'OPEN'))).arrayBuffer()),
    close: async () => undefined,
  };
}
