import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { fc, fuzzTarget } from '@sluice/testkit';
import { countJsonArrayItems } from '../src/index.js';
import { JsonArrayItemCounter } from '../src/json-item-counter.js';
import { itemCounter } from '../src/streaming-item-count.js';
import { startSource, type RunningSource } from './helpers.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REGRESSIONS = path.resolve(HERE, '../../test/fixtures/fuzz');

/** True when feeding `text` to a json counter in the given pieces throws 413. */
function refusedInPieces(text: string, cuts: number[], limit: number): boolean {
  const bytes = Buffer.from(text);
  const count = itemCounter('json', 'application/json', undefined, limit)!;
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  try {
    let from = 0;
    for (const to of [...at, bytes.length]) {
      count(bytes.subarray(from, to));
      from = to;
    }
    return false;
  } catch (error) {
    expect((error as { status?: number }).status).to.equal(413);
    return true;
  }
}

describe('http source: counting events as the body arrives (itemCounter)', function () {
  this.timeout(60_000);
  let running: RunningSource | undefined;
  afterEach(async () => { await running?.close(); running = undefined; });

  it('counts only json and ndjson bodies in UTF-8 without Content-Encoding', () => {
    expect(itemCounter('json', undefined, undefined, 1)).to.be.a('function');
    expect(itemCounter('ndjson', 'application/x-ndjson; charset=UTF-8', 'identity', 1)).to.be.a('function');
    expect(itemCounter('blob', undefined, undefined, 1)).to.equal(undefined);
    expect(itemCounter('json', undefined, 'gzip', 1)).to.equal(undefined);
    expect(itemCounter('json', 'application/json; charset=utf-16', undefined, 1)).to.equal(undefined);
    expect(itemCounter('json', 'application/json; charset=klingon', undefined, 1), 'the handler answers 415').to.equal(undefined);
    const lines = itemCounter('ndjson', undefined, undefined, 2)!;
    lines(Buffer.from('{}\n\n  \n{"bo'));
    expect(() => lines(Buffer.from('dy":"x"}\n'))).to.not.throw();
    expect(() => lines(Buffer.from('{}'))).to.throw(/more than 2 events/);
  });

  it('answers a 16 MiB body of empty events with 413 long before the client has sent it all', async () => {
    running = await startSource();
    const body = Buffer.from(`[${'{},'.repeat((16 * 1024 * 1024 - 4) / 3)}{}]`);
    let sentAtAnswer = -1;
    const answer = await new Promise<string>((resolve) => {
      const socket = net.connect(running!.source.port, '127.0.0.1');
      let text = '';
      let sent = 0;
      socket.on('error', () => undefined);
      socket.on('data', (chunk: Buffer) => {
        if (sentAtAnswer < 0) sentAtAnswer = sent;
        text += chunk.toString('latin1');
      });
      socket.on('close', () => resolve(text));
      socket.once('connect', () => {
        socket.write(`POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
        const pump = (): void => {
          while (sent < body.length && !socket.destroyed) {
            const ok = socket.write(body.subarray(sent, sent + 65536));
            sent += 65536;
            if (!ok) {
              socket.once('drain', pump);
              return;
            }
          }
        };
        pump();
      });
    });
    expect(answer).to.match(/^HTTP\/1\.1 413 /).and.to.contain('TOO_MANY_EVENTS');
    // The client can only be ahead of the source by what the socket buffers hold.
    expect(sentAtAnswer).to.be.within(0, 12 * 1024 * 1024);
  });
});

// No suite timeout here: `npm run fuzz` gives it 1,000,000 cases with --timeout 0.
describe('http source: itemCounter against countJsonArrayItems', () => {
  it('@fuzz agrees with the whole-body count however the body is cut into chunks', async () => {
    const piece = fc.constantFrom('[', ']', '{', '}', ',', '"', '\\', ' ', '\n', 'a', '1', 'é', '"x,]"', '{"body":"[,"}', '\u{1F600}');
    const texts = fc.oneof(fc.array(piece, { maxLength: 40 }).map((p) => p.join('')), fc.json().map((j) => `[${j},${j}]`));
    await fuzzTarget('streaming-item-count', [texts, fc.array(fc.nat(), { maxLength: 6 }), fc.integer({ min: 0, max: 4 })], (text, cuts, limit) => {
      expect(refusedInPieces(text, cuts, limit), JSON.stringify(text)).to.equal(countJsonArrayItems(text, limit) > limit);
      // On a valid array the count is exact (up to the limit): what JSON.parse finds.
      let parsed: unknown;
      try { parsed = JSON.parse(text); } catch { return; }
      if (Array.isArray(parsed)) expect(Math.min(countJsonArrayItems(text, limit), limit + 1), JSON.stringify(text)).to.equal(Math.min(parsed.length, limit + 1));
    }, { regressions: REGRESSIONS });
  });

  it('@fuzz counts bytes fed in chunks exactly as it counts the whole decoded text (strings skipped by search)', async () => {
    const piece = fc.constantFrom('[', ']', '{', '}', ',', '"', '\\', '\\"', '\\\\', ' ', 'a', 'é', '"x,]"', '"a\\"b,"', '{"body":"[,"}', '\u{1F600}');
    const texts = fc.oneof(fc.array(piece, { maxLength: 60 }).map((p) => p.join('')), fc.array(fc.json(), { maxLength: 8 }).map((items) => `[${items.join(',')}]`));
    await fuzzTarget('json-item-counter-chunks', [texts, fc.array(fc.nat(), { maxLength: 8 })], (text, cuts) => {
      const bytes = Buffer.from(text);
      const counter = new JsonArrayItemCounter();
      let from = 0;
      for (const to of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b).concat(bytes.length)) {
        counter.feedBytes(bytes.subarray(from, to));
        from = to;
      }
      expect(counter.count, JSON.stringify(text)).to.equal(new JsonArrayItemCounter().feedText(text));
    }, { regressions: REGRESSIONS });
  });
});
