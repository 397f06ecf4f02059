import { benchAgent } from '../run-until-drained.js';
import { result, trackPeakRss, type BenchResult, sinkMetrics, drained, percentile99 } from '../result.js';
import { edgeTopology, withCollector } from '../rpc-tier.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 3_000_000);
const BODY = 256;
const BATCH = 1000;

/**
 * One Avro tier hop, as deployed: an edge agent (this process: seq -> memory -> avro sink) sends
 * to a collector agent in its own `sluice agent` process (avro source -> memory -> null), batches
 * of 1000, 256-byte events. The edge sink commits a batch only after the collector answered OK,
 * i.e. after the collector's channel committed it, so the edge's EventDrainSuccessCount counts
 * events that completed the hop. peakRssMb is the edge's.
 */
export async function run(): Promise<BenchResult> {
  return withCollector('avro', BATCH, async (port) => {
    const { agent } = await benchAgent(edgeTopology('avro', port, { events: EVENTS, body: BODY, batch: BATCH }), 'edge');
    // Batches keep their size and FIFO order through the memory channel, so the k-th batch the
    // seq source committed is the k-th the sink had acknowledged: their time difference is the
    // latency of those events from the edge channel to the collector's commit.
    const received: number[] = [];
    const latencies: number[] = [];
    const subscription = agent.telemetry.events$.subscribe((event) => {
      if (event.type === 'source.events_received') received.push(performance.now());
      else if (event.type === 'sink.events_sent') latencies.push(performance.now() - received[latencies.length]!);
    });
    const rss = trackPeakRss();
    const started = process.hrtime.bigint();
    await agent.start();
    const sink = sinkMetrics(agent, 'out');
    await drained(sink, EVENTS);
    const elapsed = process.hrtime.bigint() - started;
    const peak = rss.stop();
    subscription.unsubscribe();
    await agent.stop(1000);
    const p99 = percentile99(latencies);
    return result('avro', EVENTS, EVENTS * BODY, elapsed, peak, {
      p99LatencyMs: Math.round(p99 * 100) / 100,
      hop: 'edge process -> collector process over loopback',
      batch: BATCH,
      note: 'p99LatencyMs: from the seq source committing a batch at the edge to the collector acknowledging it, with the edge saturated (includes queueing in the edge channel)',
    });
  });
}
