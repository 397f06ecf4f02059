import path from 'node:path';
import { expect } from 'chai';
import { AgentProcess, TempDir } from './helpers/agent-process.js';
import { openHdfsView, type HdfsView } from './helpers/hdfs-view.js';

const ROUNDS = 3;
const BATCH = 100;
/** The sink takes bigger batches than the source puts, so the final drain needs few requests. */
const SINK_BATCH = 1000;
const PER_ROUND = 20_000;
const BODY = 16;
const STRIDE = 10_000_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('hdfs sink survives SIGKILL of a real agent @slow', function () {
  this.timeout(240000);
  const dir = new TempDir();
  let hdfs: HdfsView;
  let agent: AgentProcess | undefined;
  const root = `/tmp/sluice-crash-${process.pid}-${Date.now()}`;

  before(async () => { hdfs = await openHdfsView(); });
  after(async () => {
    await agent?.kill();
    await hdfs?.close();
    dir.cleanup();
  });

  const topology = (start: number, count: number): string => `
agents:
  crash:
    drainTimeout: 20s
    sources:
      seq: { type: seq, start: ${start}, count: ${count}, batchSize: ${BATCH}, bodySize: ${BODY}, channels: [disk] }
    channels:
      disk: { type: file, dataDir: '${path.join(dir.path, 'disk')}', minFreeSpace: '0', transactionCapacity: ${SINK_BATCH} }
    sinks:
      out:
        type: hdfs
        channel: disk
        url: '${hdfs.url}'
        path: '${root}/%Y'
        useLocalTimeStamp: true
        user: '${hdfs.user}'
        batchSize: ${SINK_BATCH}
        roll: { count: 3000, interval: 10s, idleTimeout: 5s, size: '0' }
`;

  const files = (): Promise<string[]> => hdfs.listFiles(root);
  const delivered = async (): Promise<number[]> => {
    const numbers: number[] = [];
    for (const file of await files()) {
      for (const line of (await hdfs.read(file)).toString('latin1').split('\n')) if (line.length === BODY) numbers.push(Number(line.slice(0, line.indexOf(' '))));
    }
    return numbers;
  };

  it('seq -> file channel -> hdfs killed mid-stream ends with every sequence number present and no .tmp file left', async () => {
    const committed: number[] = [];
    // Restarts that found an in-use file left by the kill before, and whether they logged its recovery.
    const restarts: { leftover: boolean; recovered: boolean }[] = [];
    let leftover = false;
    const recoveredLog = (a: AgentProcess): boolean => a.logs.some((l) => l.msg === 'recovered an in-use HDFS file left by a previous run');
    for (let round = 0; round < ROUNDS; round++) {
      agent = AgentProcess.start(dir.write('topology.yaml', topology((round + 1) * STRIDE, PER_ROUND)), 'crash', { logLevel: 'debug' });
      await agent.started();
      if (round > 0) restarts.push({ leftover, recovered: recoveredLog(agent) });
      // Kill while a file of this round is open (.tmp) and others were already renamed.
      const before = (await files()).filter((f) => !f.endsWith('.tmp')).length;
      for (let waited = 0; waited < 20000 && (await files()).filter((f) => !f.endsWith('.tmp')).length <= before; waited += 20) await sleep(20);
      for (let waited = 0; waited < 5000 && !(await files()).some((f) => f.endsWith('.tmp')); waited += 10) await sleep(10);
      await agent.kill();
      leftover = (await files()).some((f) => f.endsWith('.tmp'));
      committed.push(agent.logs.filter((l) => l.msg === 'put batch committed').length * BATCH);
      agent = undefined;
    }
    expect(committed.every((n) => n > 0), `every round committed events: ${committed}`).to.equal(true);

    const finalStart = (ROUNDS + 1) * STRIDE;
    const finalCount = 10 * BATCH;
    agent = AgentProcess.start(dir.write('topology.yaml', topology(finalStart, finalCount)), 'crash');
    await agent.started();
    restarts.push({ leftover, recovered: recoveredLog(agent) });
    expect(restarts.some((r) => r.leftover), 'some kill left an in-use file').to.equal(true);
    for (const r of restarts) if (r.leftover) expect(r.recovered, 'a restart after a kill that left a .tmp file recovered it').to.equal(true);
    const expected: number[] = [];
    for (let round = 0; round < ROUNDS; round++) for (let i = 0; i < committed[round]!; i++) expected.push((round + 1) * STRIDE + i);
    for (let i = 0; i < finalCount; i++) expected.push(finalStart + i);
    let seen = new Set<number>();
    for (let waited = 0; waited < 120000; waited += 200) {
      seen = new Set(await delivered());
      if (expected.every((n) => seen.has(n))) break;
      await sleep(200);
    }
    const status = await agent.stop();
    agent = undefined;
    expect(status.code, 'graceful exit').to.equal(0);
    const missing = expected.filter((n) => !seen.has(n));
    expect(missing.length, `missing sequence numbers, first: ${missing.slice(0, 5).join(', ')}`).to.equal(0);
    expect((await files()).filter((f) => f.endsWith('.tmp')), 'in-use files after recovery and stop').to.deep.equal([]);
    for (const file of await files()) expect(file).to.match(/\/FlumeData\.\d+-\d+\.log$/);
  });
});
