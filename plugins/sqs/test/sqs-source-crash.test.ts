import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { AgentChild } from './helpers/agent-child.js';
import { startSqsPeer, type SqsPeer } from './sqs-peer.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const POLLERS = 2;
const BATCH = 50;
const SINK_BATCH = 100;

/** Lines of every file_roll file in `dir`, oldest file first (names are <startMillis>-<n>). */
function outputLines(dir: string): string[] {
  let files: string[] = [];
  try { files = readdirSync(dir); } catch { return []; }
  const key = (f: string): [number, number] => { const [a, b] = f.split('-'); return [Number(a), Number(b)]; };
  files.sort((x, y) => key(x)[0] - key(y)[0] || key(x)[1] - key(y)[1]);
  const lines: string[] = [];
  for (const file of files) for (const line of readFileSync(path.join(dir, file), 'utf8').split('\n')) if (line !== '') lines.push(line);
  return lines;
}

describe('sqs source survives SIGKILL of a real agent @slow', function () {
  this.timeout(300000);
  let peer: SqsPeer;
  let dir: string;
  let agent: AgentChild | undefined;
  before(async () => {
    peer = await startSqsPeer();
    dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-sqs-crash-'));
  });
  after(async () => {
    await agent?.kill();
    await peer?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function topology(name: string, queueUrl: string): string {
    const aws = peer.aws();
    return `
agents:
  collector:
    drainTimeout: 10s
    sources:
      in:
        type: sqs
        queueUrl: '${queueUrl}'
        endpoint: '${aws.endpoint}'
        region: '${aws.region}'
        accessKeyId: '${aws.accessKeyId}'
        secretAccessKey: '${aws.secretAccessKey}'
        waitTime: 1s
        visibilityTimeout: 2s
        pollers: ${POLLERS}
        batchSize: ${BATCH}
        channels: [disk]
    channels:
      disk: { type: file, dataDir: '${path.join(dir, name, 'disk')}', minFreeSpace: '0', transactionCapacity: ${SINK_BATCH} }
    sinks:
      out: { type: file_roll, channel: disk, directory: '${path.join(dir, name, 'out')}', fsync: true, batchSize: ${SINK_BATCH}, rollInterval: '0' }
`;
  }

  /** A background sender of numbered messages; `stop` ends it and resolves with how many it sent. */
  interface Producer { stop(): Promise<number> }

  /** Calls `send` every `everyMs` until stopped or `limit` numbers were sent. */
  function startProducer(send: (n: number) => Promise<number>, everyMs: number, limit: number): Producer {
    let running = true;
    const loop = (async () => {
      let n = 0;
      while (running && n < limit) {
        n = await send(n);
        await sleep(everyMs);
      }
      return n;
    })();
    return { stop: () => { running = false; return loop; } };
  }

  /**
   * Kills a fresh agent `kills` times, each after a random 200-700 ms of work, while the producer
   * sends; then stops the producer and lets a last agent drain until `complete` holds.
   */
  async function crashRounds(name: string, queueUrl: string, kills: number, producer: Producer, complete: (lines: string[], sent: number) => boolean): Promise<{ lines: string[]; sent: number }> {
    const file = path.join(dir, `${name}.yaml`);
    writeFileSync(file, topology(name, queueUrl));
    for (let round = 0; round < kills; round++) {
      agent = AgentChild.start(file, 'collector');
      await agent.started();
      await sleep(200 + Math.random() * 500);
      await agent.kill();
    }
    const sent = await producer.stop();
    agent = AgentChild.start(file, 'collector');
    await agent.started();
    const out = path.join(dir, name, 'out');
    const deadline = Date.now() + 120000;
    // Done when every number is out and the queue is empty: stopping earlier would interrupt the
    // long polls of redelivered duplicates, which then stay in flight until their timeout.
    const done = async (): Promise<boolean> => {
      if (!complete(outputLines(out), sent)) return false;
      const depth = await peer.depth(queueUrl);
      return depth.visible + depth.inFlight === 0;
    };
    while (!(await done()) && Date.now() < deadline) await sleep(500);
    const status = await agent.stop();
    expect(status.code, agent.stderr.slice(-2000)).to.equal(0);
    return { lines: outputLines(out), sent };
  }

  it('standard queue: 20 kills while a producer sends; every number arrives, duplicates only from batches in flight at a kill', async () => {
    const kills = 20;
    const queueUrl = await peer.createQueue('crash', { visibilityTimeout: 2 });
    const producer = startProducer(async (n) => {
      await peer.send(queueUrl, Array.from({ length: 10 }, (_, i) => String(n + i)));
      return n + 10;
    }, 100, 4000);
    const { lines, sent } = await crashRounds('standard', queueUrl, kills, producer, (got, total) => new Set(got).size >= total);
    const numbers = lines.map(Number);
    const distinct = new Set(numbers);
    const missing = Array.from({ length: sent }, (_, i) => i).filter((n) => !distinct.has(n));
    expect(missing, `numbers never delivered (of ${sent})`).to.deep.equal([]);
    expect(distinct.size).to.equal(sent);
    // A kill can repeat what was committed to the file channel but not yet deleted (each poller's
    // batch and the one whose delete was in flight) and what file_roll wrote but did not commit.
    const duplicates = numbers.length - distinct.size;
    expect(duplicates, 'duplicates').to.be.at.most(kills * (2 * POLLERS * BATCH + SINK_BATCH));
    expect(await peer.depth(queueUrl), 'every message deleted once delivered').to.deep.equal({ visible: 0, inFlight: 0 });
    console.log(`      ${sent} messages, ${kills} kills, ${duplicates} duplicates`);
  });

  it('FIFO queue: each message group keeps its order end to end across kills and restarts', async () => {
    const groups = ['a', 'b', 'c', 'd'];
    const queueUrl = await peer.createQueue('crash-fifo', { fifo: true, visibilityTimeout: 2 });
    const producer = startProducer(async (n) => {
      for (const g of groups) await peer.send(queueUrl, [`${g}:${n}`, `${g}:${n + 1}`], g);
      return n + 2;
    }, 50, 300);
    const { lines, sent } = await crashRounds('fifo', queueUrl, 5, producer, (got, total) => new Set(got).size >= total * groups.length);
    for (const g of groups) {
      const seen = lines.filter((l) => l.startsWith(`${g}:`)).map((l) => Number(l.slice(2)));
      // In order: a message never arrives before every earlier one of its group did. A repeat
      // (a redelivery after a kill) restarts from an earlier number and runs forward again.
      let highest = -1;
      for (const n of seen) {
        expect(n, `group ${g}: ${n} after ${highest}`).to.be.at.most(highest + 1);
        highest = Math.max(highest, n);
      }
      expect(new Set(seen).size, `group ${g} complete`).to.equal(sent);
    }
    expect(await peer.depth(queueUrl)).to.deep.equal({ visible: 0, inFlight: 0 });
  });
});
