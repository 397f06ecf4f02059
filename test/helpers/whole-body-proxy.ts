import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy that forwards a request only once its whole body arrived (Content-Length bytes),
 * and drops requests whose client went away mid-body. S3 itself never stores an object from an
 * incomplete PutObject; s3rver does (it streams the body into the object file), so tests that kill
 * a client mid-upload put this in front of s3rver to get S3's all-or-nothing PutObject. Headers
 * and body pass unchanged, so SigV4 signatures stay valid.
 */
export class WholeBodyProxy {
  private constructor(private readonly server: Server) {}

  static async start(target: string): Promise<WholeBodyProxy> {
    const upstream = new URL(target);
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      // A client killed mid-body never reaches 'end': its request is dropped, never forwarded.
      req.on('error', () => res.destroy());
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const declared = req.headers['content-length'];
        if (declared !== undefined && Number(declared) !== body.length) {
          res.destroy();
          return;
        }
        const forward = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        forward.on('error', () => res.destroy());
        forward.end(body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new WholeBodyProxy(server);
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
