import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { createComponentContext, createEvent, memoryChannel, type MemoryChannel } from '@sluice/core';
import { sinkSuite } from '@sluice/testkit';
import { webhookSink } from '../src/index.js';

/** A receiving HTTP server (Node's own http stack) that records bodies or answers a given status. */
class Receiver {
  readonly bodies: string[] = [];
  status = 200;
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (this.status === 200) {
        for (const event of JSON.parse(Buffer.concat(chunks).toString('utf8')) as { body: string }[]) this.bodies.push(event.body);
      }
      res.writeHead(this.status).end();
    });
  });
  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/events`;
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('webhook sink', () => {
  const receiver = new Receiver();
  let url = '';
  before(async () => {
    url = await receiver.listen();
  });
  after(() => receiver.close());

  sinkSuite({
    factory: (ctx) => webhookSink.create({ url, headers: {}, timeout: '5s', batchSize: 50 }, ctx),
    readBack: async () => receiver.bodies,
    breakDestination: async () => {
      receiver.status = 503;
    },
    healDestination: async () => {
      receiver.status = 200;
    },
    capabilities: { failureInjection: true },
    cleanup: () => {
      receiver.bodies.length = 0;
    },
  });

  it('fails with SLUICE_EVENT_REJECTED (not retriable) on a 400 and keeps the batch in the channel', async () => {
    const channel = memoryChannel.create({ capacity: 100, transactionCapacity: 100, byteCapacity: '0', keepAlive: '0' }, createComponentContext({ name: 'c', kind: 'CHANNEL' })) as MemoryChannel;
    await channel.start();
    const tx = channel.transaction();
    tx.put([createEvent('bad')]);
    await tx.commit();
    const sink = webhookSink.create({ url, headers: {}, timeout: '5s', batchSize: 10 }, { ...createComponentContext({ name: 'k', kind: 'SINK' }), channel });
    await sink.start();
    receiver.status = 400;
    const error = await sink.process().then(() => undefined, (e: unknown) => e);
    receiver.status = 200;
    expect(error).to.include({ code: 'SLUICE_EVENT_REJECTED', retriable: false });
    expect(channel.size).to.equal(1);
    await sink.stop();
    await channel.stop();
  });
});
