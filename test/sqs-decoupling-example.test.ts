import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { expect } from 'chai';
import { startFauxqs } from 'fauxqs';
import { AgentProcess, TempDir } from './helpers/agent-process.js';

const EXAMPLE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/sqs-decoupling/topology.yaml');
const LINES = 1500;

/** Sends lines to a netcat source in chunks of 50, each 20 ms after the previous chunk was answered; resolves with the lines answered OK. */
async function send(port: number, lines: string[]): Promise<string[]> {
  const socket = net.connect(port, '127.0.0.1');
  const acked: string[] = [];
  return new Promise((resolve) => {
    let pending = '';
    let sent = 0;
    let chunk: string[] = [];
    const next = (): void => {
      if (sent >= lines.length) return void socket.end();
      chunk = lines.slice(sent, sent + 50);
      sent += chunk.length;
      socket.write(chunk.map((line) => `${line}\n`).join(''));
    };
    let answered = 0;
    socket.on('connect', next);
    socket.on('data', (data: Buffer) => {
      pending += data.toString('latin1');
      for (let i; (i = pending.indexOf('\n')) >= 0; pending = pending.slice(i + 1)) {
        if (pending.slice(0, i) === 'OK') acked.push(chunk[answered]!);
        answered++;
      }
      if (answered === chunk.length) {
        answered = 0;
        setTimeout(next, 20);
      }
    });
    socket.on('close', () => resolve(acked));
    socket.on('error', () => undefined);
  });
}

/** The lines file_roll wrote under out/a and out/b (or only `subs`). */
function linesIn(dir: string, subs = ['a', 'b']): string[] {
  const out: string[] = [];
  for (const sub of subs) {
    let files: string[] = [];
    try { files = readdirSync(path.join(dir, sub)); } catch { continue; }
    for (const file of files) for (const line of readFileSync(path.join(dir, sub, file), 'utf8').split('\n')) if (line) out.push(line);
  }
  return out;
}

describe('examples/sqs-decoupling against fauxqs', function () {
  this.timeout(120000);
  const dir = new TempDir();
  const agents: AgentProcess[] = [];
  let server: Awaited<ReturnType<typeof startFauxqs>> | undefined;
  let client: SQSClient | undefined;
  after(async () => {
    for (const agent of agents) await agent.kill();
    client?.destroy();
    await server?.stop();
    dir.cleanup();
  });

  it('two edge agents put into the queue; a collector SIGKILLed mid-stream loses nothing: the other, started after, drains the rest and what the first had taken', async () => {
    server = await startFauxqs({ port: 0, logger: false, host: '127.0.0.1' });
    client = new SQSClient({ endpoint: server.address, region: 'us-east-1', credentials: { accessKeyId: 'fauxqs', secretAccessKey: 'fauxqs' } });
    const queueUrl = (await client.send(new CreateQueueCommand({ QueueName: 'sluice-lines' }))).QueueUrl!;
    const out = path.join(dir.path, 'out');
    // Credentials through the standard AWS chain (environment variables), as in production.
    const env = {
      SQS_QUEUE_URL: queueUrl, SQS_ENDPOINT: server.address, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'fauxqs', AWS_SECRET_ACCESS_KEY: 'fauxqs',
      SQS_VISIBILITY_TIMEOUT: '3s', NETCAT_PORT: '0', OUT_DIR: out,
    };
    const start = (name: string): AgentProcess => {
      const agent = AgentProcess.start(EXAMPLE, name, { env, cwd: dir.path });
      agents.push(agent);
      return agent;
    };
    const edges = [start('edge'), start('edge')];
    const collectorA = start('collector-a');
    await Promise.all([...edges, collectorA].map((a) => a.started(30000)));
    const ports = await Promise.all(edges.map((e) => e.portOf('lines')));

    // Kill collector-a as soon as it has written something, while the edges are still sending.
    // Collector-b starts after that: with both polling from the start, one collector can take the
    // whole stream (a CI run saw collector-a get nothing in 60 s), and there is no kill mid-stream.
    let linesAtKill = -1;
    const killer = (async () => {
      const until = Date.now() + 60000;
      while (Date.now() < until) {
        if (linesIn(out, ['a']).length > 0) {
          linesAtKill = linesIn(out).length;
          await collectorA.kill();
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const sending = ports.map((port, e) => send(port, Array.from({ length: LINES }, (_, i) => `edge${e}-${i}`)));
    await killer;
    expect(linesAtKill, `collector-a was killed mid-stream; its last logs: ${JSON.stringify(collectorA.logs.slice(-8))}`).to.be.within(1, 2 * LINES - 1);
    const collectorB = start('collector-b');
    await collectorB.started(30000);
    const acked = (await Promise.all(sending)).flat();
    expect(acked.length, 'lines acknowledged by the edges').to.equal(2 * LINES);

    // Until every acknowledged line is out and the queue is empty: what collector-a had written but
    // not deleted comes back after the visibility timeout, and collector-b writes it again.
    const queueDepth = async (): Promise<number> => {
      const attributes = (await client!.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }))).Attributes!;
      return Number(attributes.ApproximateNumberOfMessages) + Number(attributes.ApproximateNumberOfMessagesNotVisible);
    };
    const deadline = Date.now() + 60000;
    let got = new Set<string>();
    while (Date.now() < deadline) {
      got = new Set(linesIn(out));
      if (acked.every((line) => got.has(line)) && (await queueDepth()) === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(acked.filter((line) => !got.has(line)), 'acknowledged lines missing from ./out').to.deep.equal([]);
    const a = linesIn(out, ['a']);
    expect(a.length, 'collector-a wrote before it was killed').to.be.greaterThan(0);
    for (const agent of [...edges, collectorB]) expect((await agent.stop()).code).to.equal(0);
    expect(await queueDepth(), 'messages left in the queue').to.equal(0);
  });
});
