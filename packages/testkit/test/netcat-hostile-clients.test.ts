import { spawn } from 'node:child_process';
import net from 'node:net';
import { expect } from 'chai';
import { netcatSource, type NetcatSource, type NetcatSourceConfig } from '@sluice/core';
import { createHarness, requirePeers, takeAll, type SuiteHarness } from '../src/index.js';

const DEFAULTS: NetcatSourceConfig = { bind: '127.0.0.1', port: 0, maxConnections: 1000, idleTimeout: '5m', maxLineLength: 512, encoding: 'UTF-8', ackEveryEvent: true, batchSize: 100 };

/** Takes everything the channel holds, a transaction at a time; returns how many events. */
async function drain(harness: SuiteHarness): Promise<number> {
  let total = 0;
  for (let got = -1; got !== 0;) {
    got = (await takeAll(harness, 10_000)).length;
    total += got;
  }
  return total;
}

describe('netcat source against clients that close early, never read, or go quiet', function () {
  this.timeout(20000);
  let harness: SuiteHarness | undefined;
  let source: NetcatSource | undefined;
  afterEach(async () => {
    await source?.stop();
    await harness?.close();
    source = undefined;
  });

  async function start(config: Partial<NetcatSourceConfig> = {}, capacity?: number): Promise<NetcatSource> {
    harness = await createHarness(capacity === undefined ? {} : { capacity });
    source = netcatSource.create({ ...DEFAULTS, ...config }, harness.sourceContext('nc-in')) as NetcatSource;
    await source.start();
    return source;
  }

  it('answers every committed line to a client that sends five lines and closes its side at once (nc -N)', async function () {
    requirePeers(this, 'nc');
    const s = await start();
    const answers = await new Promise<string>((resolve, reject) => {
      const nc = spawn('nc', ['-N', '127.0.0.1', String(s.port)], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      nc.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
      nc.on('error', reject);
      nc.on('close', () => resolve(out));
      nc.stdin.end('a\nb\nc\nd\ne\n');
    });
    expect(answers).to.equal('OK\n'.repeat(5));
    expect((await takeAll(harness!)).map((e) => e.body.toString())).to.deep.equal(['a', 'b', 'c', 'd', 'e']);
  });

  it('stops reading from a client that never reads its answers, and goes on once it does', async () => {
    const s = await start({ batchSize: 1000 }, 3_000_000);
    const socket = net.connect(s.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.pause();
    // Far more answers (3 bytes a line, 7.5 MB) than the loopback socket buffers hold while nobody
    // reads (about 4 MB here: tcp_wmem's autotuned maximum plus the reader's tcp_rmem default).
    const lines = 2_500_000;
    let written = 0;
    const writeMore = (): void => {
      while (written < lines) {
        const n = Math.min(10_000, lines - written);
        written += n;
        if (!socket.write('x\n'.repeat(n))) { socket.once('drain', writeMore); return; }
      }
    };
    writeMore();
    const server = (): net.Socket => [...(s as unknown as { sockets: Set<net.Socket> }).sockets][0]!;
    let pendingAnswers = 0;
    let committed = 0;
    for (let i = 0; i < 40; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      pendingAnswers = Math.max(pendingAnswers, server()?.writableLength ?? 0);
      committed += await drain(harness!);
    }
    expect(committed, 'the source stopped reading while its answers were not read').to.be.below(lines);
    expect(pendingAnswers, 'bytes of answers queued in the agent').to.be.below(1024 * 1024);
    let answered = 0;
    socket.on('data', (chunk: Buffer) => { answered += chunk.length; });
    socket.resume();
    for (let i = 0; i < 600 && committed < lines; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      committed += await drain(harness!);
    }
    expect(committed).to.equal(lines);
    for (let i = 0; i < 200 && answered < lines * 3; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(answered).to.equal(lines * 3);
    socket.destroy();
  });

  it('closes a client that leaves its answers unread for idleTimeout, keeping what it committed', async () => {
    const s = await start({ batchSize: 1000, idleTimeout: '1s' }, 3_000_000);
    const sockets = (s as unknown as { sockets: Set<net.Socket> }).sockets;
    const socket = net.connect(s.port, '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('connect', resolve));
    // Paused, this client never reads its answers (and, not reading, never sees the close either).
    socket.pause();
    const lines = 2_500_000;
    let written = 0;
    const writeMore = (): void => {
      while (written < lines && !socket.destroyed) {
        const n = Math.min(10_000, lines - written);
        written += n;
        if (!socket.write('x\n'.repeat(n))) { socket.once('drain', writeMore); return; }
      }
    };
    writeMore();
    let committed = 0;
    try {
      for (let i = 0; i < 300 && (sockets.size > 0 || committed === 0); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        committed += await drain(harness!);
      }
    } finally {
      socket.destroy();
    }
    expect(sockets.size, 'the source closed the connection').to.equal(0);
    committed += await drain(harness!);
    expect(committed, 'lines committed before the close stay committed').to.be.above(0).and.below(lines);
  });

  it('closes a connection that sends nothing for idleTimeout', async () => {
    const s = await start({ idleTimeout: '300ms' });
    const socket = net.connect(s.port, '127.0.0.1');
    const started = Date.now();
    await new Promise((resolve) => socket.once('close', resolve));
    expect(Date.now() - started).to.be.at.least(250);
  });
});
