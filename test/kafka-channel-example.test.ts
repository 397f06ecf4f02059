import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaMockCluster, requirePeers } from '@sluice/testkit';
import { AgentProcess, TempDir } from './helpers/agent-process.js';

const EXAMPLE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/kafka-channel/topology.yaml');
const LINES = 3000;

/**
 * Sends lines to a netcat source in chunks of 100, each after the previous one was answered (every
 * OK means the line is committed to the channel). Resolves with the number of lines acknowledged
 * when all were, or when the connection broke.
 */
async function send(port: number, lines: string[], onChunk: (acked: number) => void = () => undefined): Promise<number> {
  const socket = net.connect(port, '127.0.0.1');
  return new Promise<number>((resolve) => {
    let pending = '';
    let acked = 0;
    let sent = 0;
    const next = (): void => {
      if (sent >= lines.length) {
        socket.end();
        return;
      }
      const chunk = lines.slice(sent, sent + 100);
      sent += chunk.length;
      socket.write(chunk.map((line) => `${line}\n`).join(''));
    };
    socket.on('connect', next);
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      let index;
      while ((index = pending.indexOf('\n')) >= 0) {
        pending = pending.slice(index + 1);
        acked++;
      }
      if (acked === sent) {
        onChunk(acked);
        next();
      }
    });
    socket.on('close', () => resolve(acked));
    socket.on('error', () => undefined);
  });
}

function linesIn(dir: string): Set<string> {
  const seen = new Set<string>();
  let files: string[] = [];
  try {
    files = readdirSync(dir);
  } catch {
    return seen;
  }
  for (const file of files) for (const line of readFileSync(path.join(dir, file), 'utf8').split('\n')) if (line) seen.add(line);
  return seen;
}

describe('examples/kafka-channel: an edge agent with Kafka as its channel survives SIGKILL @slow', function () {
  before(function () { requirePeers(this, 'kafka'); });
  this.timeout(90000);
  const dir = new TempDir();
  let mock: KafkaMockCluster | undefined;
  const agents: AgentProcess[] = [];
  after(async () => {
    for (const agent of agents) await agent.kill();
    await mock?.stop();
    dir.cleanup();
  });

  it('every line the agent acknowledged before kill -9 reaches file_roll after a restart', async () => {
    // The mock by default; the real cluster named by KAFKA_BROKERS when set.
    const topic = `edge-example-${process.pid}-${Date.now()}`;
    let broker: string;
    if (process.env.KAFKA_BROKERS) {
      broker = process.env.KAFKA_BROKERS.split(',')[0]!;
      const admin = new Kafka({ brokers: process.env.KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
      await admin.disconnect();
    } else {
      mock = await KafkaMockCluster.start({ topics: [{ name: topic, partitions: 2 }] });
      broker = mock.brokers[0]!;
    }
    const out = path.join(dir.path, 'out');
    const env = {
      KAFKA_BROKER: broker, KAFKA_TOPIC: topic, KAFKA_GROUP: `edge-${process.pid}`, KAFKA_SESSION_TIMEOUT: '6s', NETCAT_PORT: '0', OUT_DIR: out,
    };
    const lines = Array.from({ length: LINES }, (_, i) => `line-${i}`);
    const first = AgentProcess.start(EXAMPLE, 'edge', { env, cwd: dir.path });
    agents.push(first);
    await first.started(30000);
    let killing: Promise<void> | undefined;
    const ackedBeforeKill = await send(await first.portOf('lines'), lines, (acked) => {
      if (acked >= LINES / 3) killing ??= first.kill();
    });
    await killing;
    expect(ackedBeforeKill, 'the kill happened mid-stream').to.be.below(LINES);

    const second = AgentProcess.start(EXAMPLE, 'edge', { env, cwd: dir.path });
    agents.push(second);
    await second.started(30000);
    // Like a real client, resend everything that was not acknowledged.
    await send(await second.portOf('lines'), lines.slice(ackedBeforeKill), () => undefined);
    const deadline = Date.now() + 60000;
    let missing = lines;
    while (Date.now() < deadline) {
      const seen = linesIn(out);
      missing = lines.filter((line) => !seen.has(line));
      if (missing.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(missing.slice(0, 10), `${missing.length} lines missing from file_roll`).to.deep.equal([]);
    const status = await second.stop();
    expect(status.code).to.equal(0);
  });
});
