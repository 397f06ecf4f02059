import net from 'node:net';
import { expect } from 'chai';
import { takeAll } from '@sluice/testkit';
import { countJsonArrayItems, httpSource } from '../src/index.js';
import { curl, flumeBatch, startSource, type RunningSource } from './helpers.js';

/** Sends raw bytes on a fresh connection and collects what the server answers until it closes or `ms` pass. */
function rawExchange(port: number, write: (socket: net.Socket) => void, ms = 5000): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(done, ms);
    socket.on('data', (chunk: Buffer) => { answer += chunk.toString('latin1'); });
    socket.on('close', done);
    socket.on('error', () => undefined);
    socket.on('connect', () => write(socket));
  });
}

describe('http source limits against hostile clients', function () {
  this.timeout(30000);
  let running: RunningSource | undefined;
  afterEach(async () => { await running?.close(); running = undefined; });

  it('counts JSON array items without parsing and stops past the limit', () => {
    expect(countJsonArrayItems('[]', 5)).to.equal(0);
    expect(countJsonArrayItems(' [ ] ', 5)).to.equal(0);
    expect(countJsonArrayItems('[{"headers":{"a":"x,y"},"body":"[1,2],\\"q"}]', 5)).to.equal(1);
    expect(countJsonArrayItems('[{},{},{}]', 5)).to.equal(3);
    expect(countJsonArrayItems(`[${'{},'.repeat(1_000_000)}{}]`, 10)).to.equal(11);
  });

  it('refuses a small body of a million empty events with 413 before building them, and keeps serving', async () => {
    running = await startSource({ maxEventsPerRequest: 1000 });
    const bomb = `[${'{},'.repeat(999_999)}{}]`;
    const refused = await curl(['-H', 'Content-Type: application/json', '--data-binary', '@-', running.url], bomb);
    expect(refused.status).to.equal(413);
    expect(JSON.parse(refused.body).error).to.equal('TOO_MANY_EVENTS');
    const ndjson = await curl(['-H', 'Content-Type: application/x-ndjson', '--data-binary', '@-', running.url], '{}\n'.repeat(5000));
    expect(ndjson.status, 'the json handler reads one array; ndjson lines are events too').to.equal(400);
    const ok = await curl(['-H', 'Content-Type: application/json', '--data-binary', '@-', running.url], flumeBatch(['still-served']));
    expect(ok.status).to.equal(200);
    expect((await takeAll(running.harness)).map((e) => e.body.toString())).to.deep.equal(['still-served']);
  });

  it('refuses an ndjson flood of tiny lines with 413', async () => {
    running = await startSource({ handler: 'ndjson', maxEventsPerRequest: 100 });
    const refused = await curl(['--data-binary', '@-', running.url], '{}\n'.repeat(100_000));
    expect(refused.status).to.equal(413);
    expect((await curl(['--data-binary', '@-', running.url], `${'{"body":"x"}\n\n'.repeat(100)}\n\n`)).status).to.equal(200);
  });

  it('answers an endless chunked body with 413 while it is still being sent, then cuts it', async () => {
    running = await startSource({ maxBodySize: '64KiB' });
    const chunk = Buffer.alloc(16 * 1024, 0x61);
    const answer = await rawExchange(running.source.port, (socket) => {
      socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
      const pump = (): void => {
        if (socket.destroyed) return;
        if (socket.write(`${chunk.length.toString(16)}\r\n`) && socket.write(chunk) && socket.write('\r\n')) setImmediate(pump);
        else socket.once('drain', pump);
      };
      pump();
    });
    expect(answer).to.match(/^HTTP\/1\.1 413 /);
    expect((running.source as unknown as { pending: { used: number } }).pending.used).to.equal(0);
  });

  it('closes a request whose Content-Length is never reached after requestTimeout (408)', async () => {
    running = await startSource({ requestTimeout: '1s', headersTimeout: '1s' });
    const started = Date.now();
    const answer = await rawExchange(running.source.port, (socket) => {
      socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n[{"body":"never finished"');
    }, 20000);
    expect(answer).to.match(/^HTTP\/1\.1 408 /);
    expect(Date.now() - started, 'closed by the timeout, not by the test').to.be.below(19000);
    expect(await takeAll(running.harness)).to.deep.equal([]);
  });

  it('answers 503 with Retry-After when requests in flight hold maxPendingBytes', async () => {
    running = await startSource({ maxPendingBytes: '100KiB' });
    const { port } = running.source;
    // A slow client holds 80 KiB of an unfinished 200 KiB body.
    const slow = net.connect(port, '127.0.0.1');
    await new Promise((resolve) => slow.once('connect', resolve));
    slow.write(`POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${200 * 1024}\r\n\r\n`);
    slow.write(Buffer.alloc(80 * 1024, 0x20));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const busy = await curl(['-i', '-H', 'Content-Type: application/json', '--data-binary', '@-', running.url], flumeBatch(['x'.repeat(40 * 1024)]));
    expect(busy.status).to.equal(503);
    expect(busy.body).to.match(/retry-after: 1/i);
    slow.destroy();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await curl(['-H', 'Content-Type: application/json', '--data-binary', '@-', running.url], flumeBatch(['after']))).status).to.equal(200);
  });

  it('answers a request target that is not a URL with 400 and an odd charset with 415, not 500', async () => {
    running = await startSource();
    const answer = await rawExchange(running.source.port, (socket) => socket.write('POST http://[bad/ HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n[]'));
    expect(answer).to.match(/^HTTP\/1\.1 400 /);
    for (const charset of ['constructor', 'toString', 'latin-9']) {
      const refused = await curl(['-H', `Content-Type: application/json; charset=${charset}`, '--data-binary', '@-', running.url], '[]');
      expect(refused.status, charset).to.equal(415);
    }
  });

  it('keeps headers named __proto__ and constructor', async () => {
    running = await startSource();
    const ok = await curl(['-H', 'Content-Type: application/json', '--data-binary', '@-', running.url], '[{"headers":{"__proto__":"p","constructor":"c"},"body":"b"}]');
    expect(ok.status).to.equal(200);
    const [event] = await takeAll(running.harness);
    expect(Object.keys(event!.headers).sort()).to.deep.equal(['__proto__', 'constructor']);
    expect(event!.headers.__proto__).to.equal('p');
  });

  it('listens on 127.0.0.1 unless told otherwise', () => {
    const schema = httpSource.schema as { properties: { bind: { default: string } } };
    expect(schema.properties.bind.default).to.equal('127.0.0.1');
  });
});
