import dgram from 'node:dgram';
import net from 'node:net';
import { expect } from 'chai';
import { takeAll } from '@sluice/testkit';
import { syslogTcpSource, syslogUdpSource, type SyslogTcpSource } from '../src/index.js';
import { startTcp, startUdp, type Running } from './helpers.js';


const connect = async (port: number): Promise<net.Socket> => {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('connect', resolve));
  return socket;
};
const closed = (socket: net.Socket): Promise<void> => new Promise((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));

describe('syslog sources against hostile clients', function () {
  this.timeout(20000);
  let running: Running<SyslogTcpSource> | undefined;
  afterEach(async () => { await running?.close(); running = undefined; });

  it('listen on 127.0.0.1 unless host says otherwise', () => {
    for (const definition of [syslogTcpSource, syslogUdpSource]) {
      expect((definition.schema as { properties: { host: { default: string } } }).properties.host.default).to.equal('127.0.0.1');
    }
  });

  it('closes a connection past maxConnections at once, and counts it', async () => {
    running = await startTcp({ maxConnections: 2 });
    const port = running.source.port;
    const kept = [await connect(port), await connect(port)];
    await new Promise((resolve) => setTimeout(resolve, 100));
    const third = await connect(port);
    await closed(third);
    expect(kept.every((s) => !s.destroyed)).to.equal(true);
    expect(running.ctx.metrics.get('ConnectionRejectedCount')).to.equal(1);
    for (const socket of kept) socket.destroy();
  });

  it('closes a connection that sends nothing, or half a message, for idleTimeout', async () => {
    running = await startTcp({ idleTimeout: '300ms' });
    const quiet = await connect(running.source.port);
    const half = await connect(running.source.port);
    half.write('<13>Jan  1 00:00:00 host app: a message that never ');
    const started = Date.now();
    await Promise.all([closed(quiet), closed(half)]);
    expect(Date.now() - started).to.be.at.least(250);
  });

  it('closes a connection whose announced octet-counted frame does not arrive whole within frameTimeout, after delivering the frames before it', async () => {
    running = await startTcp({ frameTimeout: '300ms', idleTimeout: '10m' });
    const socket = await connect(running.source.port);
    socket.write('11 <13>whole 1');
    socket.write('200 <13>announced but never ');
    await closed(socket);
    expect((await takeAll(running.harness)).map((e) => e.body.toString())).to.deep.equal(['<13>whole 1']);
    expect(running.ctx.metrics.get('EventReadFail')).to.equal(1);
  });

  it('has a frameTimeout default that is on', () => {
    expect((syslogTcpSource.schema as { properties: { frameTimeout: { default: string } } }).properties.frameTimeout.default).to.equal('30s');
  });

  it('counts a message cut at eventSize once in EventIncompleteCount, however many reads and pieces it takes', async () => {
    running = await startTcp({ eventSize: 64 });
    const socket = await connect(running.source.port);
    // The pieces of its rest may look like messages of their own (`<13>...`): they are still not cut messages.
    const head = '<13>Jan  1 00:00:00 host app: ';
    const line = `${head}${'x'.repeat(64 - head.length)}<13>${'y'.repeat(60)}<14>${'z'.repeat(68)}\r`;
    for (const piece of [line.slice(0, 30), line.slice(30, 65), line.slice(65)]) {
      socket.write(piece);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    socket.end('\n<13>Jan  1 00:00:00 host app: next\n');
    await closed(socket);
    const events = await takeAll(running.harness);
    expect(events.map((e) => e.body.length), 'the message after its header, 2 pieces of 64, the last 8 bytes, the next message').to.deep.equal([39, 64, 64, 8, 9]);
    expect(running.ctx.metrics.get('EventIncompleteCount')).to.equal(1);
    expect(running.ctx.metrics.get('EventInvalidCount'), 'the last piece has no <PRI>').to.equal(1);
  });

  it('counts an over-long datagram once in EventIncompleteCount, even when pieces of its rest look like messages', async () => {
    const udp = await startUdp({ eventSize: 64 });
    try {
      const head = '<13>Jan  1 00:00:00 host app: ';
      const datagram = `${head}${'x'.repeat(64 - head.length)}<13>${'y'.repeat(60)}<14>${'z'.repeat(8)}`;
      const client = dgram.createSocket('udp4');
      await new Promise<void>((resolve, reject) => client.send(datagram, udp.source.port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
      client.close();
      let events: Awaited<ReturnType<typeof takeAll>> = [];
      for (let i = 0; i < 100 && events.length < 3; i++) {
        events = events.concat(await takeAll(udp.harness));
        if (events.length < 3) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(events.map((e) => e.headers['flume.syslog.status'])).to.deep.equal(['Incomplete', undefined, undefined]);
      expect(udp.ctx.metrics.get('EventIncompleteCount')).to.equal(1);
    } finally {
      await udp.close();
    }
  });
});
