import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * An HTTP proxy in front of an SQS endpoint that can fail chosen calls: `failNext('DeleteMessageBatch', 2)`
 * answers the next two such calls with HTTP 500 InternalError (what SQS sends when it cannot serve
 * a request), and `down` drops every connection (an outage). The SDK's JSON protocol names the call
 * in the X-Amz-Target header (AmazonSQS.<Action>).
 */
export class SqsProxy {
  down = false;
  /** Calls that reached the real endpoint, by action. */
  readonly calls = new Map<string, number>();
  private readonly failures = new Map<string, number>();
  private readonly entryFailures = new Map<string, number>();
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: http.Server, private readonly target: URL) {
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  static async start(target: string): Promise<SqsProxy> {
    const server = http.createServer();
    const proxy = new SqsProxy(server, new URL(target));
    server.on('request', (req, res) => proxy.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  failNext(action: string, count: number): void {
    this.failures.set(action, count);
  }

  /**
   * Makes the next batch call of `action` fail its first `count` entries alone (a partial
   * failure: Failed entries with SenderFault false); the other entries go to the endpoint. The
   * request is re-serialised, so this works only against endpoints that do not check signatures (fauxqs).
   */
  failEntries(action: string, count: number): void {
    this.entryFailures.set(action, count);
  }

  /** Drops current and future connections until `down` is false again. */
  breakNow(): void {
    this.down = true;
    for (const socket of this.sockets) socket.destroy();
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.down) {
      req.socket.destroy();
      return;
    }
    const action = String(req.headers['x-amz-target'] ?? '').replace('AmazonSQS.', '');
    const failing = this.failures.get(action) ?? 0;
    if (failing > 0) {
      this.failures.set(action, failing - 1);
      req.resume();
      res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-query-error': 'InternalError;Receiver' });
      res.end(JSON.stringify({ __type: 'com.amazonaws.sqs#InternalError', message: 'injected by the test proxy' }));
      return;
    }
    this.calls.set(action, (this.calls.get(action) ?? 0) + 1);
    const failEntries = this.entryFailures.get(action) ?? 0;
    if (failEntries > 0) {
      this.entryFailures.delete(action);
      void this.partial(req, res, failEntries);
      return;
    }
    const upstream = http.request({ host: this.target.hostname, port: this.target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  }

  private async partial(req: http.IncomingMessage, res: http.ServerResponse, count: number): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Entries: { Id: string }[] };
    const failed = input.Entries.slice(0, count);
    input.Entries = input.Entries.slice(count);
    const body = Buffer.from(JSON.stringify(input));
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string' && !['host', 'connection', 'content-length', 'transfer-encoding'].includes(name)) headers[name] = value;
    const answer = await fetch(new URL(req.url ?? '/', this.target), { method: 'POST', headers, body });
    const output = (await answer.json()) as { Successful?: unknown[]; Failed?: unknown[] };
    output.Failed = [...(output.Failed ?? []), ...failed.map((e) => ({ Id: e.Id, SenderFault: false, Code: 'InternalError', Message: 'injected by the test proxy' }))];
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
    res.end(JSON.stringify(output));
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
