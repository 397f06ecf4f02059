import { existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { AgentProcess, TempDir } from './helpers/agent-process.js';

const EXAMPLE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/fan-in/topology.yaml');
const PER_EDGE = 20000;
const EDGE_STARTS = [0, 1000000, 2000000];

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Every sequence number written by a collector's file_roll sink (one body per line), with repeats. */
function collected(dir: string): number[] {
  if (!existsSync(dir)) return [];
  const numbers: number[] = [];
  for (const file of readdirSync(dir)) {
    for (const line of readFileSync(path.join(dir, file), 'utf8').split('\n')) if (line !== '') numbers.push(Number(line));
  }
  return numbers;
}

async function until(check: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('fan-in example: three edges, two collectors over Avro RPC, one collector SIGKILLed and restarted @slow', function () {
  this.timeout(150000);
  const tmp = new TempDir();
  const agents: AgentProcess[] = [];
  after(async () => {
    await Promise.all(agents.map((a) => a.stop('SIGTERM', 20000)));
    tmp.cleanup();
  });

  it('delivers every sequence number from every edge to the collectors\' files at least once', async () => {
    const env = {
      COLLECTOR1_PORT: String(await freePort()),
      COLLECTOR2_PORT: String(await freePort()),
      EDGE1_NETCAT_PORT: '0', EDGE2_NETCAT_PORT: '0', EDGE3_NETCAT_PORT: '0',
      EDGE_EVENTS: String(PER_EDGE),
      DATA_DIR: path.join(tmp.path, 'data'),
      OUT_DIR: path.join(tmp.path, 'out'),
    };
    const out1 = path.join(env.OUT_DIR, 'collector1');
    const out2 = path.join(env.OUT_DIR, 'collector2');
    const start = (name: string): AgentProcess => {
      const agent = AgentProcess.start(EXAMPLE, name, { cwd: tmp.path, env });
      agents.push(agent);
      return agent;
    };
    const collector1 = start('collector1');
    const collector2 = start('collector2');
    await Promise.all([collector1.started(), collector2.started()]);
    const edges = ['edge1', 'edge2', 'edge3'].map(start);
    await Promise.all(edges.map((e) => e.started()));

    // Mid-stream: collector1 has written some events and the edges are still sending.
    await until(() => collected(out1).length >= 3000, 'collector1 to write 3000 events', 60000);
    await collector1.kill();
    const atKill = new Set([...collected(out1), ...collected(out2)]).size;
    expect(atKill, 'the kill happened while events were still flowing').to.be.below(3 * PER_EDGE);

    // With collector1 gone the edges' load_balance groups send everything to collector2.
    const before = collected(out2).length;
    await until(() => collected(out2).length >= before + 3000, 'collector2 to take over', 60000);
    const restarted = start('collector1');
    await restarted.started();

    const expected = EDGE_STARTS.flatMap((first) => Array.from({ length: PER_EDGE }, (_, i) => first + i));
    let missing: number[] = expected;
    await until(() => {
      const got = new Set([...collected(out1), ...collected(out2)]);
      missing = expected.filter((n) => !got.has(n));
      return missing.length === 0;
    }, 'every sequence number at the collectors', 90000).catch((error: Error) => {
      throw new Error(`${error.message}; ${missing.length} missing, e.g. ${missing.slice(0, 10).join(', ')}`);
    });
    const wanted = new Set(expected);
    const unexpected = [...collected(out1), ...collected(out2)].filter((n) => !wanted.has(n));
    expect(unexpected, 'nothing but the sent sequence numbers').to.deep.equal([]);
    for (const agent of [...edges, collector2, restarted]) expect((await agent.stop()).code, 'graceful exit').to.equal(0);
  });
});
