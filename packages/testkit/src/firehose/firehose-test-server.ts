import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Options of {@link FirehoseTestServer.start}. */
export interface FirehoseTestServerOptions {
  /** The S3 endpoint delivery streams write into, path-style (e.g. s3rver's `http://127.0.0.1:port`). */
  s3Endpoint: string;
  /** How often buffers are checked against their interval (default 50 ms). */
  tickMs?: number;
}

/** One object the server delivered to S3. */
export interface FirehoseDelivery {
  deliveryStreamName: string;
  bucket: string;
  key: string;
  records: number;
  bytes: number;
  /** Why the buffer was flushed. */
  reason: 'size' | 'interval' | 'flush';
}

interface DeliveryStream {
  name: string;
  arn: string;
  created: number;
  bucket: string;
  bucketArn: string;
  prefix: string;
  sizeBytes: number;
  intervalMs: number;
  buffering: { SizeInMBs: number; IntervalInSeconds: number };
  roleArn: string;
  buffer: Buffer[];
  bufferedBytes: number;
  bufferedRecords: number;
  firstAt: number;
}

/** Firehose's API limits (https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html). */
const MAX_RECORDS = 500;
const MAX_BATCH_BYTES = 4 * 1024 * 1024;
const MAX_RECORD_BYTES = 1000 * 1024;
const ACCOUNT = '000000000000';
const REGION = 'us-east-1';

class ApiError extends Error {
  constructor(readonly type: string, message: string, readonly status = 400) {
    super(message);
  }
}

/**
 * An Amazon Data Firehose endpoint for tests, written from the Firehose API reference: the JSON
 * 1.1 protocol over HTTP (`POST /`, `X-Amz-Target: Firehose_20150804.<Operation>`,
 * `application/x-amz-json-1.1`), with CreateDeliveryStream (DirectPut to an S3 or extended S3
 * destination), DescribeDeliveryStream, ListDeliveryStreams, DeleteDeliveryStream, PutRecord
 * and PutRecordBatch (at most 500 records and 4 MiB per call, 1,000 KiB per record; errors
 * answered as `{"__type", "message"}` with HTTP 400). Signatures are not checked.
 *
 * Like Firehose, it buffers each delivery stream's records and writes them, concatenated with no
 * delimiter, as one S3 object once the buffer reaches BufferingHints.SizeInMBs or
 * IntervalInSeconds passed since its first record, under
 * `<Prefix>YYYY/MM/DD/HH/<stream>-1-YYYY-MM-DD-HH-MM-SS-<uuid>` (UTC). Objects are PUT path-style
 * to `s3Endpoint` without a signature (s3rver accepts that); a failed PUT keeps the buffer and
 * is retried at the next tick.
 *
 * For failure tests: `refuseRecords` answers the next calls' picked records with
 * ServiceUnavailableException (not stored, the others are), `pause` drops every connection.
 */
export class FirehoseTestServer {
  readonly deliveries: FirehoseDelivery[] = [];
  /** Record counts of the PutRecordBatch calls received. */
  readonly batchCalls: number[] = [];
  private readonly streams = new Map<string, DeliveryStream>();
  private timer: NodeJS.Timeout | undefined;
  private paused = false;
  private refusing = { calls: 0, pick: (_index: number): boolean => false };
  private flushing: Promise<void> = Promise.resolve();

  private constructor(private readonly server: Server, readonly endpoint: string, private readonly s3Endpoint: string, tickMs: number) {
    this.timer = setInterval(() => { void this.serialFlush('interval'); }, tickMs);
    this.timer.unref();
  }

  static async start(options: FirehoseTestServerOptions): Promise<FirehoseTestServer> {
    let instance: FirehoseTestServer | undefined;
    const server = createServer((req, res) => instance!.handle(req, res));
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', () => resolve()));
    const { port } = server.address() as AddressInfo;
    instance = new FirehoseTestServer(server, `http://127.0.0.1:${port}`, options.s3Endpoint.replace(/\/$/, ''), options.tickMs ?? 50);
    return instance;
  }

  /** The next `calls` PutRecordBatch calls refuse the records `pick` selects (ServiceUnavailableException). */
  refuseRecords(calls: number, pick: (index: number) => boolean): void {
    this.refusing = { calls, pick };
  }

  /** Drops every connection until `resume`. */
  pause(): void {
    this.paused = true;
    this.server.closeAllConnections();
  }

  resume(): void {
    this.paused = false;
  }

  /** Writes every non-empty buffer to S3 now. */
  flush(): Promise<void> {
    return this.serialFlush('flush');
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flushing;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (this.paused) {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let status = 200;
      let answer: unknown;
      try {
        const target = String(req.headers['x-amz-target'] ?? '');
        if (req.method !== 'POST' || !target.startsWith('Firehose_20150804.')) throw new ApiError('UnknownOperationException', `unknown operation '${target}'`);
        let input: Record<string, unknown>;
        try {
          input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
        } catch {
          throw new ApiError('SerializationException', 'request body is not JSON');
        }
        answer = this.operation(target.slice('Firehose_20150804.'.length), input);
      } catch (error) {
        const e = error instanceof ApiError ? error : new ApiError('InternalFailure', String(error), 500);
        status = e.status;
        answer = { __type: e.type, message: e.message };
        res.setHeader('x-amzn-ErrorType', e.type);
      }
      const body = JSON.stringify(answer);
      res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1', 'Content-Length': Buffer.byteLength(body), 'x-amzn-RequestId': randomUUID() });
      res.end(body);
    });
  }

  private operation(name: string, input: Record<string, unknown>): unknown {
    switch (name) {
      case 'CreateDeliveryStream': return this.create(input);
      case 'DescribeDeliveryStream': return { DeliveryStreamDescription: describe(this.stream(input.DeliveryStreamName)) };
      case 'ListDeliveryStreams': return { DeliveryStreamNames: [...this.streams.keys()].sort(), HasMoreDeliveryStreams: false };
      case 'DeleteDeliveryStream': {
        this.streams.delete(this.stream(input.DeliveryStreamName).name);
        return {};
      }
      case 'PutRecord': {
        const stream = this.stream(input.DeliveryStreamName);
        const data = recordData((input.Record as { Data?: unknown } | undefined)?.Data, 'record');
        this.append(stream, [data]);
        return { RecordId: recordId(), Encrypted: false };
      }
      case 'PutRecordBatch': return this.putBatch(input);
      default: throw new ApiError('UnknownOperationException', `operation ${name} is not supported by this test server`);
    }
  }

  private create(input: Record<string, unknown>): unknown {
    const name = input.DeliveryStreamName;
    if (typeof name !== 'string' || !/^[a-zA-Z0-9_.-]{1,64}$/.test(name)) throw new ApiError('ValidationException', 'DeliveryStreamName must match [a-zA-Z0-9_.-]{1,64}');
    if (this.streams.has(name)) throw new ApiError('ResourceInUseException', `Firehose ${name} under account ${ACCOUNT} already exists.`);
    const type = input.DeliveryStreamType ?? 'DirectPut';
    if (type !== 'DirectPut') throw new ApiError('InvalidArgumentException', `this test server supports DeliveryStreamType DirectPut only, not ${String(type)}`);
    const destination = (input.ExtendedS3DestinationConfiguration ?? input.S3DestinationConfiguration) as Record<string, unknown> | undefined;
    if (!destination) throw new ApiError('InvalidArgumentException', 'this test server supports S3 destinations only: give ExtendedS3DestinationConfiguration');
    const bucketArn = String(destination.BucketARN ?? '');
    const bucket = /^arn:aws[a-z-]*:s3:::([a-z0-9.-]{3,63})$/.exec(bucketArn)?.[1];
    if (!bucket) throw new ApiError('ValidationException', `BucketARN '${bucketArn}' is not an S3 bucket ARN (arn:aws:s3:::bucket)`);
    const hints = (destination.BufferingHints ?? {}) as { SizeInMBs?: number; IntervalInSeconds?: number };
    const sizeMb = hints.SizeInMBs ?? 5;
    const intervalS = hints.IntervalInSeconds ?? 300;
    if (!(sizeMb >= 1 && sizeMb <= 128)) throw new ApiError('ValidationException', 'BufferingHints.SizeInMBs must be between 1 and 128');
    if (!(intervalS >= 0 && intervalS <= 900)) throw new ApiError('ValidationException', 'BufferingHints.IntervalInSeconds must be between 0 and 900');
    const arn = `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/${name}`;
    this.streams.set(name, {
      name, arn, created: Date.now(), bucket, bucketArn, prefix: String(destination.Prefix ?? ''), roleArn: String(destination.RoleARN ?? ''),
      sizeBytes: sizeMb * 1024 * 1024, intervalMs: intervalS * 1000, buffering: { SizeInMBs: sizeMb, IntervalInSeconds: intervalS },
      buffer: [], bufferedBytes: 0, bufferedRecords: 0, firstAt: 0,
    });
    return { DeliveryStreamARN: arn };
  }

  private putBatch(input: Record<string, unknown>): unknown {
    const stream = this.stream(input.DeliveryStreamName);
    const records = input.Records;
    if (!Array.isArray(records) || records.length === 0) throw new ApiError('ValidationException', "1 validation error detected: Value at 'records' failed to satisfy constraint: Member must have length greater than or equal to 1");
    if (records.length > MAX_RECORDS) throw new ApiError('ValidationException', `1 validation error detected: Value at 'records' failed to satisfy constraint: Member must have length less than or equal to ${MAX_RECORDS}`);
    const data = records.map((r: { Data?: unknown }, i) => recordData(r?.Data, `records.${i + 1}.member.data`));
    const total = data.reduce((n, d) => n + d.length, 0);
    if (total > MAX_BATCH_BYTES) throw new ApiError('InvalidArgumentException', `Records size exceeds 4 MB limit (${total} bytes)`);
    this.batchCalls.push(records.length);
    const refusing = this.refusing.calls > 0;
    if (refusing) this.refusing.calls--;
    const accepted: Buffer[] = [];
    const responses = data.map((d, i) => {
      if (refusing && this.refusing.pick(i)) return { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' };
      accepted.push(d);
      return { RecordId: recordId() };
    });
    this.append(stream, accepted);
    return { FailedPutCount: data.length - accepted.length, Encrypted: false, RequestResponses: responses };
  }

  private stream(name: unknown): DeliveryStream {
    const stream = typeof name === 'string' ? this.streams.get(name) : undefined;
    if (!stream) throw new ApiError('ResourceNotFoundException', `Firehose ${String(name)} under account ${ACCOUNT} not found.`);
    return stream;
  }

  private append(stream: DeliveryStream, records: Buffer[]): void {
    if (records.length === 0) return;
    if (stream.bufferedRecords === 0) stream.firstAt = Date.now();
    for (const r of records) {
      stream.buffer.push(r);
      stream.bufferedBytes += r.length;
    }
    stream.bufferedRecords += records.length;
    if (stream.bufferedBytes >= stream.sizeBytes) void this.serialFlush('size');
  }

  private serialFlush(reason: FirehoseDelivery['reason']): Promise<void> {
    const run = this.flushing.then(() => this.flushDue(reason));
    this.flushing = run.catch(() => undefined);
    return run;
  }

  private async flushDue(reason: FirehoseDelivery['reason']): Promise<void> {
    const now = Date.now();
    for (const stream of this.streams.values()) {
      if (stream.bufferedRecords === 0) continue;
      const why = stream.bufferedBytes >= stream.sizeBytes ? 'size' : now - stream.firstAt >= stream.intervalMs ? 'interval' : reason === 'flush' ? 'flush' : undefined;
      if (!why) continue;
      const body = Buffer.concat(stream.buffer, stream.bufferedBytes);
      const key = objectKey(stream, new Date(now));
      try {
        const response = await fetch(`${this.s3Endpoint}/${stream.bucket}/${key.split('/').map(encodeURIComponent).join('/')}`, { method: 'PUT', body });
        if (!response.ok) throw new Error(`S3 answered ${response.status}`);
      } catch {
        continue; // Firehose retries the delivery; so does the next tick.
      }
      this.deliveries.push({ deliveryStreamName: stream.name, bucket: stream.bucket, key, records: stream.bufferedRecords, bytes: body.length, reason: why });
      stream.buffer = [];
      stream.bufferedBytes = 0;
      stream.bufferedRecords = 0;
    }
  }
}

function recordData(value: unknown, where: string): Buffer {
  if (typeof value !== 'string') throw new ApiError('ValidationException', `1 validation error detected: Value at '${where}' failed to satisfy constraint: Member must not be null`);
  const data = Buffer.from(value, 'base64');
  if (data.length > MAX_RECORD_BYTES) throw new ApiError('ValidationException', `1 validation error detected: Value at '${where}' failed to satisfy constraint: Member must have length less than or equal to ${MAX_RECORD_BYTES}`);
  return data;
}

function recordId(): string {
  return randomUUID().replace(/-/g, '').repeat(7).slice(0, 224);
}

/** Firehose's default S3 object name: the prefix, a UTC YYYY/MM/DD/HH/ path and a timestamped name. */
function objectKey(stream: DeliveryStream, at: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  const [y, mo, d, h, mi, s] = [at.getUTCFullYear(), p(at.getUTCMonth() + 1), p(at.getUTCDate()), p(at.getUTCHours()), p(at.getUTCMinutes()), p(at.getUTCSeconds())];
  return `${stream.prefix}${y}/${mo}/${d}/${h}/${stream.name}-1-${y}-${mo}-${d}-${h}-${mi}-${s}-${randomUUID()}`;
}

function describe(stream: DeliveryStream): unknown {
  return {
    DeliveryStreamName: stream.name, DeliveryStreamARN: stream.arn, DeliveryStreamStatus: 'ACTIVE', DeliveryStreamType: 'DirectPut',
    VersionId: '1', CreateTimestamp: stream.created / 1000, HasMoreDestinations: false,
    DeliveryStreamEncryptionConfiguration: { Status: 'DISABLED' },
    Destinations: [{
      DestinationId: 'destinationId-000000000001',
      ExtendedS3DestinationDescription: {
        BucketARN: stream.bucketArn, RoleARN: stream.roleArn, Prefix: stream.prefix, BufferingHints: stream.buffering,
        CompressionFormat: 'UNCOMPRESSED', EncryptionConfiguration: { NoEncryptionConfig: 'NoEncryption' },
      },
    }],
  };
}
