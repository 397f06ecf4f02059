import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileRollSink, netcatSource, type NetcatSource, type Source } from '@sluice/core';
import { sinkSuite, sourceSuite } from '../src/index.js';

describe('file_roll sink', () => {
  let dir = '';
  sinkSuite({
    factory: (ctx) => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-file-roll-'));
      return fileRollSink.create({ directory: dir, rollInterval: '0', rollSize: '1KiB', serializer: 'text', batchSize: 100, filePrefix: '', fileSuffix: '.log', fsync: false }, ctx);
    },
    readBack: async () => readdirSync(dir).flatMap((f) => readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean)),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  });
});

/** Sends lines like a careful netcat client: one line at a time, resending on FAILED. */
async function sendLines(port: number, lines: string[]): Promise<void> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let buffered = '';
  const replies: string[] = [];
  let wake: (() => void) | undefined;
  socket.on('data', (chunk) => {
    buffered += chunk.toString();
    let i;
    while ((i = buffered.indexOf('\n')) >= 0) {
      replies.push(buffered.slice(0, i));
      buffered = buffered.slice(i + 1);
    }
    wake?.();
  });
  const nextReply = async (): Promise<string> => {
    while (replies.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    return replies.shift()!;
  };
  for (const line of lines) {
    for (;;) {
      socket.write(`${line}\n`);
      if ((await nextReply()) === 'OK') break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  socket.end();
}

describe('netcat source', () => {
  sourceSuite({
    factory: (ctx) => netcatSource.create({ bind: '127.0.0.1', port: 0, maxConnections: 1000, idleTimeout: '5m', maxLineLength: 512, encoding: 'UTF-8', ackEveryEvent: true, batchSize: 100 }, ctx),
    produce: (source: Source, bodies) => sendLines((source as NetcatSource).port, bodies),
    capabilities: { backpressure: true },
  });
});
