import { spawn, execFile, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { MOCK_CLUSTER_C_SOURCE } from './mock-cluster-source.js';

const run = promisify(execFile);

/** A topic to create when the mock cluster starts. */
export interface MockTopic {
  name: string;
  /** Default 1. */
  partitions?: number;
}

/** Options of {@link KafkaMockCluster.start}. */
export interface KafkaMockClusterOptions {
  /** Number of brokers (ids 1..n). Default 1. */
  brokers?: number;
  topics?: readonly (MockTopic | string)[];
}

/** Where the compiled helper is cached: `node_modules/.cache/sluice-kafka-mock` above this package, or the temp dir. */
function cacheDir(): string {
  if (process.env.SLUICE_KAFKA_MOCK_DIR) return process.env.SLUICE_KAFKA_MOCK_DIR;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'node_modules'))) return join(dir, 'node_modules', '.cache', 'sluice-kafka-mock');
    const parent = dirname(dir);
    if (parent === dir) return join(tmpdir(), 'sluice-kafka-mock');
    dir = parent;
  }
}

let building: Promise<string> | undefined;

/** Where {@link buildKafkaMockHelper} puts (or has put) the helper built from the current C source. */
export function kafkaMockHelperPath(): string {
  const hash = createHash('sha256').update(MOCK_CLUSTER_C_SOURCE).digest('hex').slice(0, 16);
  return join(cacheDir(), `sluice-kafka-mock-${hash}`);
}

/**
 * Compiles the mock-cluster helper with gcc against librdkafka-dev unless a binary built from the
 * same C source is cached, and returns its path. Concurrent test processes may race: each builds
 * into a private file and renames it into place, so a reader never sees a half-written binary.
 */
export function buildKafkaMockHelper(): Promise<string> {
  building ??= (async () => {
    const binary = kafkaMockHelperPath();
    const dir = dirname(binary);
    if (existsSync(binary)) return binary;
    mkdirSync(dir, { recursive: true });
    const unique = `${process.pid}-${Date.now()}`;
    const source = join(dir, `mock-${unique}.c`);
    const output = `${binary}.${unique}.tmp`;
    writeFileSync(source, MOCK_CLUSTER_C_SOURCE);
    try {
      await run('gcc', ['-O1', '-o', output, source, '-lrdkafka']);
      renameSync(output, binary);
    } catch (error) {
      throw new Error(`Cannot build the Kafka mock-cluster helper with gcc; install gcc and librdkafka-dev (npm test does as root; the test peer is kafka): ${(error as Error).message}`, { cause: error });
    } finally {
      rmSync(source, { force: true });
      rmSync(output, { force: true });
    }
    return binary;
  })();
  building.catch(() => { building = undefined; });
  return building;
}

/**
 * librdkafka's in-memory mock Kafka cluster, run as a child process (a native crash cannot take
 * the test runner down). It speaks the real Kafka protocol on loopback ports, with consumer groups
 * and offset commits; it has no CreateTopics API, so topics are created through {@link createTopic}
 * (a topic first named in a Metadata request is auto-created with 4 partitions).
 *
 * Start one per suite in `before` and `stop()` it in `after`. Use a fresh consumer groupId per
 * test, `sessionTimeout: 6000` and a small `maxWaitTimeInMs` (an empty fetch is held for the full
 * wait and not woken by new data).
 */
export class KafkaMockCluster {
  /** `host:port` of every broker. */
  readonly brokers: readonly string[];
  private readonly replies: string[] = [];
  private readonly waiters: ((line: string | undefined) => void)[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private exited = false;
  private readonly exit: Promise<void>;

  private constructor(private readonly child: ChildProcessWithoutNullStreams, bootstrap: string, lines: AsyncIterator<string>) {
    this.brokers = bootstrap.split(',');
    this.exit = new Promise((resolve) => child.once('exit', () => {
      this.exited = true;
      for (const waiter of this.waiters.splice(0)) waiter(undefined);
      resolve();
    }));
    void (async () => {
      for (;;) {
        const next = await lines.next().catch(() => ({ done: true, value: undefined }));
        if (next.done || next.value === undefined) return;
        const waiter = this.waiters.shift();
        if (waiter) waiter(next.value);
        else this.replies.push(next.value);
      }
    })();
  }

  /** Builds the helper if needed and starts a cluster with the given brokers and topics. */
  static async start(options: KafkaMockClusterOptions = {}): Promise<KafkaMockCluster> {
    const binary = await buildKafkaMockHelper();
    const topics = (options.topics ?? []).map((t) => (typeof t === 'string' ? `${t}:1` : `${t.name}:${t.partitions ?? 1}`));
    const child = spawn(binary, [String(options.brokers ?? 1), ...topics], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = await Promise.race([
      lines.next(),
      new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`Kafka mock cluster exited with code ${code}: ${stderr.trim()}`)))),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('Kafka mock cluster did not print its bootstrap address within 10 s')), 10000).unref()),
    ]);
    const match = /^bootstrap (\S+)$/.exec(first.done ? '' : first.value);
    if (!match) {
      child.kill('SIGKILL');
      throw new Error(`Kafka mock cluster printed an unexpected first line: ${String(first.value)}`);
    }
    return new KafkaMockCluster(child, match[1]!, lines);
  }

  /** The bootstrap list as one string (`host:port,host:port`), for kcat `-b` and config. */
  get bootstrap(): string {
    return this.brokers.join(',');
  }

  /** Creates a topic (replication factor 1). */
  createTopic(name: string, partitions = 1): Promise<void> {
    return this.command(`topic ${name} ${partitions}`);
  }

  /** Closes every connection to the broker and refuses new ones until {@link brokerUp}. */
  brokerDown(brokerId = 1): Promise<void> {
    return this.command(`down ${brokerId}`);
  }

  /** Lets the broker accept connections again. */
  brokerUp(brokerId = 1): Promise<void> {
    return this.command(`up ${brokerId}`);
  }

  /** Delays every response of the broker by `ms`. */
  setRtt(brokerId: number, ms: number): Promise<void> {
    return this.command(`rtt ${brokerId} ${ms}`);
  }

  /** Makes the next `count` requests of Kafka API `apiKey` fail with Kafka error code `errorCode`. */
  pushRequestErrors(apiKey: number, count: number, errorCode: number): Promise<void> {
    return this.command(`errors ${apiKey} ${count} ${errorCode}`);
  }

  /** Stops the cluster (closes its stdin; SIGKILL after 3 s). Safe to call twice. */
  async stop(): Promise<void> {
    if (this.exited) return;
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await this.exit;
    clearTimeout(timer);
  }

  private command(line: string): Promise<void> {
    const result = this.queue.then(async () => {
      if (this.exited) throw new Error(`Kafka mock cluster has exited; cannot run '${line}'`);
      const reply = new Promise<string | undefined>((resolve) => {
        const buffered = this.replies.shift();
        if (buffered !== undefined) resolve(buffered);
        else this.waiters.push(resolve);
      });
      this.child.stdin.write(`${line}\n`);
      const answer = await reply;
      if (answer !== 'ok') throw new Error(`Kafka mock cluster refused '${line}': ${answer ?? 'it exited'}`);
    });
    this.queue = result.catch(() => undefined);
    return result;
  }
}
