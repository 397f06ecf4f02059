import { parseTopology } from '@sluice/config';
import { result, type BenchResult } from '../result.js';
import { edgeTopology, withCollector, type RpcTier } from '../rpc-tier.js';
import { runUntilDrained } from '../run-until-drained.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const BODY = 256;
const BATCH = 1000;

/**
 * One RPC tier hop of `type` (thrift or avro): this process runs the edge (seq -> memory -> sink)
 * and a `sluice agent` child process the collector (source -> memory -> null). Returns events/s
 * from the edge's start until its sink had every event acknowledged, and the edge's peak RSS.
 */
async function hop(type: RpcTier, sinkExtra: string): Promise<{ elapsed: bigint; peakRssMb: number }> {
  return withCollector(type, BATCH, async (port) => {
    const raw = parseTopology(edgeTopology(type, port, { events: EVENTS, body: BODY, batch: BATCH }, sinkExtra));
    const { agent, elapsed, peakRssMb } = await runUntilDrained(raw, EVENTS, 'edge', 'out');
    await agent.stop(1000);
    return { elapsed, peakRssMb };
  });
}

/**
 * One thrift tier hop (compact protocol, framed, plain TCP), edge process -> collector process,
 * batches of 1000 256-byte events, and in the same run the same hop over avro as the reference
 * (`avroEventsPerSec`). The edge sink counts an event only once the collector committed it.
 */
export async function run(): Promise<BenchResult> {
  const thrift = await hop('thrift', ', protocol: compact');
  const avro = await hop('avro', '');
  return result('thrift', EVENTS, EVENTS * BODY, thrift.elapsed, thrift.peakRssMb, {
    hop: 'edge process -> collector process over loopback, compact protocol',
    batch: BATCH,
    avroEventsPerSec: Math.round(EVENTS / (Number(avro.elapsed) / 1e9)),
    reference: 'avroEventsPerSec: the same hop with the avro sink and source, same run',
  });
}
