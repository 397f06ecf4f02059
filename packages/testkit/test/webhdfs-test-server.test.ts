import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { WebHdfsTestServer } from '../src/index.js';
import { requirePeers } from '../src/index.js';

/** curl, a client we did not write, drives the server the way the WebHDFS docs show. */
async function curl(...args: string[]): Promise<{ status: number; headers: string; body: string }> {
  // Async: the server runs in this process, so a synchronous child would deadlock it.
  const out = (await promisify(execFile)('curl', ['-s', '-i', ...args])).stdout;
  const blocks = out.split('\r\n\r\n');
  const headerBlocks = blocks.filter((b) => b.startsWith('HTTP/'));
  const last = headerBlocks[headerBlocks.length - 1]!;
  return { status: Number(last.split(' ')[1]), headers: headerBlocks.join('\n'), body: blocks.slice(headerBlocks.length).join('\r\n\r\n') };
}

describe('WebHdfsTestServer', async () => {
  before(function () { requirePeers(this, 'curl'); });
  let server: WebHdfsTestServer;
  before(async () => { server = await WebHdfsTestServer.start({ requireUser: true }); });
  after(async () => { await server?.close(); });

  it('answers CREATE with a 307 to the datanode and creates the file on the second step', async () => {
    const first = (await curl('-X', 'PUT', `${server.url}/webhdfs/v1/a/b.txt?op=CREATE&user.name=u`));
    expect(first.status).to.equal(307);
    const location = /Location: (\S+)/i.exec(first.headers)![1]!;
    expect(location).to.not.contain(server.url);
    const second = (await curl('-X', 'PUT', location, '--data-binary', 'hello'));
    expect(second.status).to.equal(201);
    expect(server.readFile('/a/b.txt')!.toString()).to.equal('hello');
  });

  it('follows APPEND and OPEN redirects with curl -L', async () => {
    (await curl('-L', '-X', 'PUT', `${server.url}/webhdfs/v1/c.txt?op=CREATE&user.name=u`, '--data-binary', 'one'));
    expect((await curl('-L', '-X', 'POST', `${server.url}/webhdfs/v1/c.txt?op=APPEND&user.name=u`, '--data-binary', 'two')).status).to.equal(200);
    expect((await curl('-L', `${server.url}/webhdfs/v1/c.txt?op=OPEN&user.name=u`)).body).to.equal('onetwo');
  });

  it('supports MKDIRS, RENAME, GETFILESTATUS, LISTSTATUS and DELETE', async () => {
    expect(JSON.parse((await curl('-X', 'PUT', `${server.url}/webhdfs/v1/d/e?op=MKDIRS&user.name=u`)).body)).to.deep.equal({ boolean: true });
    (await curl('-L', '-X', 'PUT', `${server.url}/webhdfs/v1/d/e/f.tmp?op=CREATE&user.name=u`, '--data-binary', 'x'));
    expect(JSON.parse((await curl('-X', 'PUT', `${server.url}/webhdfs/v1/d/e/f.tmp?op=RENAME&destination=/d/e/f&user.name=u`)).body)).to.deep.equal({ boolean: true });
    const status = JSON.parse((await curl(`${server.url}/webhdfs/v1/d/e/f?op=GETFILESTATUS&user.name=u`)).body).FileStatus;
    expect(status).to.include({ type: 'FILE', length: 1 });
    const list = JSON.parse((await curl(`${server.url}/webhdfs/v1/d/e?op=LISTSTATUS&user.name=u`)).body).FileStatuses.FileStatus;
    expect(list.map((s: { pathSuffix: string }) => s.pathSuffix)).to.deep.equal(['f']);
    expect(JSON.parse((await curl('-X', 'DELETE', `${server.url}/webhdfs/v1/d?op=DELETE&recursive=true&user.name=u`)).body)).to.deep.equal({ boolean: true });
    expect(server.listFiles('/d')).to.deep.equal([]);
  });

  it('answers errors as RemoteException JSON with the HDFS status codes', async () => {
    const missing = (await curl(`${server.url}/webhdfs/v1/nope?op=GETFILESTATUS&user.name=u`));
    expect(missing.status).to.equal(404);
    expect(JSON.parse(missing.body).RemoteException).to.include({ exception: 'FileNotFoundException', javaClassName: 'java.io.FileNotFoundException' });
    (await curl('-L', '-X', 'PUT', `${server.url}/webhdfs/v1/g?op=CREATE&user.name=u`, '--data-binary', 'x'));
    const exists = (await curl('-L', '-X', 'PUT', `${server.url}/webhdfs/v1/g?op=CREATE&user.name=u`, '--data-binary', 'x'));
    expect(exists.status).to.equal(403);
    expect(JSON.parse(exists.body).RemoteException.exception).to.equal('FileAlreadyExistsException');
    expect((await curl(`${server.url}/webhdfs/v1/g?op=BOGUS&user.name=u`)).status).to.equal(400);
    const invalid = await curl('-X', 'PUT', `${server.url}/webhdfs/v1/a:b?op=MKDIRS&user.name=u`);
    expect(invalid.status).to.equal(400);
    expect(JSON.parse(invalid.body).RemoteException.exception).to.equal('InvalidPathException');
    expect((await curl(`${server.url}/webhdfs/v1/g?op=GETFILESTATUS`)).status).to.equal(401);
  });
});
