import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { DynamoDBClient, ScanCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';

/**
 * The DynamoDB endpoint of lease-table tests: AWS when DYNAMODB_ENDPOINT is set (with the
 * standard AWS credentials; tables are named per test), otherwise dynalite in memory on 127.0.0.1.
 */
export interface DynamoPeer {
  endpoint: string;
  client: DynamoDBClient;
  /** Every item of a lease table as plain values. */
  leases(table: string): Promise<{ shardId: string; owner?: string; counter: number; checkpoint?: string }[]>;
  /** Writes a lease owned by a worker that will never renew it (a dead agent). */
  plantDeadLease(table: string, shardId: string, owner: string): Promise<void>;
  close(): Promise<void>;
}

export async function startDynamoPeer(region: string, accessKeyId: string, secretAccessKey: string): Promise<DynamoPeer> {
  const real = process.env.DYNAMODB_ENDPOINT;
  let server: Server | undefined;
  if (!real) {
    server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve, reject) => server!.once('error', reject).listen(0, '127.0.0.1', () => resolve()));
  }
  const endpoint = real ?? `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint, region, credentials: { accessKeyId, secretAccessKey } });
  return {
    endpoint, client,
    async leases(table) {
      const page = await client.send(new ScanCommand({ TableName: table, ConsistentRead: true }));
      return (page.Items ?? []).map((i) => ({ shardId: i.leaseKey!.S!, owner: i.leaseOwner?.S, counter: Number(i.leaseCounter?.N ?? 0), checkpoint: i.checkpoint?.S }));
    },
    async plantDeadLease(table, shardId, owner) {
      await client.send(new PutItemCommand({ TableName: table, Item: { leaseKey: { S: shardId }, leaseOwner: { S: owner }, leaseCounter: { N: '7' } } }));
    },
    async close() {
      client.destroy();
      if (server?.listening) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server!.close(() => resolve()));
      }
    },
  };
}
