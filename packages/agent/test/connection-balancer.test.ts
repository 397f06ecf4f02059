import net from 'node:net';
import { expect } from 'chai';
import { silentLogger } from '@sluice/core';
import { ConnectionBalancer, type BalancedWorker, type WorkerMessage } from '../src/index.js';

/** A worker stand-in that records what the primary sends it and keeps the sockets it is handed. */
class FakeWorker implements BalancedWorker {
  readonly messages: WorkerMessage[] = [];
  readonly sockets: net.Socket[] = [];
  failSends = false;
  constructor(readonly index: number) {}
  send(message: WorkerMessage, socket: net.Socket | undefined, callback: (error: Error | null) => void): void {
    if (this.failSends) {
      callback(new Error('channel closed'));
      return;
    }
    this.messages.push(message);
    if (socket) this.sockets.push(socket);
    callback(null);
  }
  get connections(): number {
    return this.messages.filter((m) => m.sluice === 'connection').length;
  }
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function listened(worker: FakeWorker, listener: number): Extract<WorkerMessage, { sluice: 'listening' }> | undefined {
  return worker.messages.find((m): m is Extract<WorkerMessage, { sluice: 'listening' }> => m.sluice === 'listening' && m.listener === listener);
}

/** Opens `n` client connections at once and resolves once they are all established. */
async function connect(port: number, n: number): Promise<net.Socket[]> {
  return Promise.all(Array.from({ length: n }, () => new Promise<net.Socket>((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  })));
}

describe('ConnectionBalancer (the primary\'s half of TCP balancing over workers)', () => {
  const clients: net.Socket[] = [];
  const workers: FakeWorker[] = [];
  let balancer: ConnectionBalancer;
  beforeEach(() => {
    balancer = new ConnectionBalancer(silentLogger);
  });
  afterEach(() => {
    balancer.close();
    for (const socket of clients.splice(0)) socket.destroy();
    for (const worker of workers.splice(0)) for (const socket of worker.sockets) socket.destroy();
  });

  async function listenBoth(): Promise<{ w0: FakeWorker; w1: FakeWorker; port: number }> {
    const [w0, w1] = [new FakeWorker(0), new FakeWorker(1)];
    workers.push(w0, w1);
    expect(balancer.handle(w0, { sluice: 'listen', listener: 3, port: 0, host: '127.0.0.1' })).to.equal(true);
    await until(() => listened(w0, 3) !== undefined, 'worker 0 listening');
    const first = listened(w0, 3)!;
    if ('error' in first) throw new Error(first.error.message);
    // The second worker asks for the same address: it shares the socket the first one got.
    balancer.handle(w1, { sluice: 'listen', listener: 9, port: 0, host: '127.0.0.1' });
    await until(() => listened(w1, 9) !== undefined, 'worker 1 listening');
    expect(listened(w1, 9)).to.deep.equal({ sluice: 'listening', listener: 9, port: first.port });
    return { w0, w1, port: first.port };
  }

  it('spreads connections opened at once evenly, and sends the next one to the worker with the fewest open', async () => {
    const { w0, w1, port } = await listenBoth();
    clients.push(...await connect(port, 4));
    await until(() => w0.connections + w1.connections === 4, '4 connections handed over');
    expect([w0.connections, w1.connections]).to.deep.equal([2, 2]);
    expect(w0.messages.filter((m) => m.sluice === 'connection')).to.deep.equal([{ sluice: 'connection', listener: 3 }, { sluice: 'connection', listener: 3 }]);
    expect(w1.messages.filter((m) => m.sluice === 'connection').every((m) => m.sluice === 'connection' && m.listener === 9)).to.equal(true);
    expect([...balancer.openConnections()].sort()).to.deep.equal([[0, 2], [1, 2]]);

    // Worker 1's two connections closed: the next two go to it, not round-robin.
    balancer.handle(w1, { sluice: 'connection-closed', listener: 9 });
    balancer.handle(w1, { sluice: 'connection-closed', listener: 9 });
    clients.push(...await connect(port, 1));
    await until(() => w1.connections === 3, 'a fifth connection');
    clients.push(...await connect(port, 1));
    await until(() => w1.connections === 4, 'a sixth connection');
    expect(w0.connections).to.equal(2);
    expect([...balancer.openConnections()].sort()).to.deep.equal([[0, 2], [1, 2]]);
  });

  it('the handed-over socket was never read by the primary: the worker gets every byte the client sent', async () => {
    const { w0, w1, port } = await listenBoth();
    const [client] = await connect(port, 1);
    clients.push(client!);
    client!.write('first line\n');
    await until(() => w0.sockets.length + w1.sockets.length === 1, 'the connection');
    const socket = [...w0.sockets, ...w1.sockets][0]!;
    let got = '';
    socket.on('data', (chunk: Buffer) => (got += chunk.toString()));
    socket.resume();
    client!.write('second line\n');
    await until(() => got === 'first line\nsecond line\n', `both lines (got ${JSON.stringify(got)})`);
  });

  it('a worker that is gone or stopped listening gets no more connections; the socket closes when nobody listens', async () => {
    const { w0, w1, port } = await listenBoth();
    balancer.workerGone(w1);
    clients.push(...await connect(port, 3));
    await until(() => w0.connections === 3, 'three connections to worker 0');
    expect(w1.connections).to.equal(0);
    expect([...balancer.openConnections()]).to.deep.equal([[0, 3]]);
    expect(balancer.handle(w0, { sluice: 'unlisten', listener: 3 })).to.equal(true);
    const refused = await new Promise<string | undefined>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(undefined);
      });
      socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code));
    });
    expect(refused).to.equal('ECONNREFUSED');
  });

  it('a connection whose hand-over fails is closed and not counted as open', async () => {
    const { w0, w1, port } = await listenBoth();
    w0.failSends = true;
    w1.failSends = true;
    const [client] = await connect(port, 1);
    clients.push(client!);
    const closed = await new Promise<boolean>((resolve) => {
      client!.once('close', () => resolve(true));
      client!.resume();
    });
    expect(closed).to.equal(true);
    expect([...balancer.openConnections()].sort()).to.deep.equal([[0, 0], [1, 0]]);
  });

  it('answers a listen the system refuses with the error and its code, and a later listen tries again', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    const w0 = new FakeWorker(0);
    workers.push(w0);
    balancer.handle(w0, { sluice: 'listen', listener: 1, port, host: '127.0.0.1' });
    await until(() => listened(w0, 1) !== undefined, 'the answer');
    const answer = listened(w0, 1)!;
    expect('error' in answer && answer.error.code).to.equal('EADDRINUSE');
    await new Promise((resolve) => taken.close(resolve));
    balancer.handle(w0, { sluice: 'listen', listener: 2, port, host: '127.0.0.1' });
    await until(() => listened(w0, 2) !== undefined, 'the second answer');
    expect(listened(w0, 2)).to.deep.equal({ sluice: 'listening', listener: 2, port });
  });

  it('ignores messages that are not about balancing', () => {
    expect(balancer.handle(new FakeWorker(0), { sluice: 'started', index: 0 })).to.equal(false);
  });
});
