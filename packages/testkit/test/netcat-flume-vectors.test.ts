import { spawn } from 'node:child_process';
import net from 'node:net';
import { expect } from 'chai';
import { netcatSource, type NetcatSource, type NetcatSourceConfig } from '@sluice/core';
import { collectEvents, createHarness, takeAll, type SuiteHarness } from '../src/index.js';

// Vectors of Apache Flume's TestNetcatSource (flume-ng-core/src/test/java/org/apache/flume/source/
// TestNetcatSource.java, apache/flume@168caa6a): the same texts sent in each encoding must arrive
// as the same UTF-8 bodies; acks come back in the encoding; an over-long line is answered FAILED,
// delivers nothing and closes the connection.
const french = 'Maître Corbeau, sur un arbre perché, Tenait en son bec un fromage. Maître Renard, par l\'odeur alléché, Lui tint à peu près ce langage : Et bonjour, Monsieur du Corbeau,';
const english = 'At the top of a tree perched Master Crow; In his beak he was holding a cheese. Drawn by the smell, Master Fox spoke, below. The words, more or less, were these: "Hey, now, Sir Crow! Good day, good day!';

/** Independent encoder for the test: Node's codecs, UTF-16BE by swapping UTF-16LE. */
function encode(text: string, encoding: string): Buffer {
  if (encoding === 'UTF-16LE') return Buffer.from(text, 'utf16le');
  if (encoding === 'UTF-16BE') return Buffer.from(text, 'utf16le').swap16();
  if (encoding === 'ISO-8859-1') return Buffer.from(text, 'latin1');
  return Buffer.from(text, 'utf8');
}

describe('netcat source with Flume TestNetcatSource vectors', () => {
  let harness: SuiteHarness | undefined;
  let source: NetcatSource | undefined;
  afterEach(async () => {
    await source?.stop();
    await harness?.close();
    source = undefined;
    harness = undefined;
  });

  async function start(config: Partial<NetcatSourceConfig>): Promise<number> {
    harness = await createHarness();
    source = netcatSource.create({ bind: '127.0.0.1', port: 0, maxConnections: 1000, idleTimeout: '5m', maxLineLength: 512, encoding: 'UTF-8', ackEveryEvent: true, batchSize: 1, ...config }, harness.sourceContext('nc')) as NetcatSource;
    await source.start();
    return source.port;
  }

  /** Connects and collects everything the source answers until it closes the connection. */
  function connect(port: number): { socket: net.Socket; answers: () => Buffer; closed: Promise<void> } {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    return { socket, answers: () => Buffer.concat(chunks), closed };
  }

  for (const encoding of ['UTF-16BE', 'UTF-16LE', 'UTF-8', 'ISO-8859-1'] as const) {
    it(`test${encoding.replace(/-/g, '')}encoding: French and English arrive as UTF-8 bodies`, async () => {
      const port = await start({ encoding, ackEveryEvent: false });
      const { socket } = connect(port);
      for (const text of [english, french]) socket.write(encode(`${text}\n`, encoding));
      const events = await collectEvents(harness!, 2);
      expect(events.map((e) => e.body)).to.deep.equal([Buffer.from(english, 'utf8'), Buffer.from(french, 'utf8')]);
      socket.destroy();
    });
  }

  it('testAck: OK per event, in the encoding (UTF-16LE too)', async () => {
    for (const encoding of ['UTF-8', 'UTF-16LE'] as const) {
      const port = await start({ encoding });
      const { socket, answers } = connect(port);
      for (const text of [english, french]) socket.write(encode(`${text}\n`, encoding));
      await collectEvents(harness!, 2);
      const deadline = Date.now() + 5000;
      while (answers().length < encode('OK\nOK\n', encoding).length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(answers()).to.deep.equal(encode('OK\nOK\n', encoding));
      socket.destroy();
      await source!.stop();
      await harness!.close();
    }
    source = undefined;
    harness = undefined;
  });

  it('testMaxLineLength / testMaxLineLengthwithAck: 9 chars + newline fit in 10; a longer line is FAILED, not delivered, and the connection closed', async () => {
    const port = await start({ maxLineLength: 10 });
    const { socket, answers, closed } = connect(port);
    socket.write('123456789\n');
    const [first] = await collectEvents(harness!, 1);
    expect(first!.body.toString()).to.equal('123456789');
    socket.write(`${english}\n`);
    await closed;
    expect(answers().toString()).to.equal('OK\nFAILED: Event exceeds the maximum length (10 chars, including newline)\n');
    expect(await takeAll(harness!)).to.deep.equal([]);
    expect(harness!.channel.size).to.equal(0);
  });

  it('counts maxLineLength in characters, not bytes (é is two UTF-8 bytes), and refuses an over-long unterminated line', async () => {
    const port = await start({ maxLineLength: 6 });
    const { socket, answers, closed } = connect(port);
    socket.write('ééééé\n');
    const [event] = await collectEvents(harness!, 1);
    expect(event!.body.toString()).to.equal('ééééé');
    socket.write('abcdef');
    await closed;
    expect(answers().toString()).to.equal('OK\nFAILED: Event exceeds the maximum length (6 chars, including newline)\n');
  });

  it('a real nc client (netcat-openbsd) gets OK, then FAILED for an over-long line, and the connection closes', async () => {
    const port = await start({ maxLineLength: 16 });
    const nc = spawn('nc', ['-N', '127.0.0.1', String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let answers = '';
    nc.stdout.on('data', (chunk: Buffer) => (answers += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => nc.once('close', resolve)); // 'exit' may precede the last stdout data
    nc.stdin.write('short line\n');
    nc.stdin.end(`${'y'.repeat(40)}\nnever read\n`);
    const code = await exited;
    expect(code).to.equal(0);
    expect(answers).to.equal('OK\nFAILED: Event exceeds the maximum length (16 chars, including newline)\n');
    expect((await takeAll(harness!)).map((e) => e.body.toString())).to.deep.equal(['short line']);
  });
});
